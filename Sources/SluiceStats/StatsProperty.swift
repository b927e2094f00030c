import SluiceRollups

/// A dimension the Stats API breaks down and filters by, as named in `property=` and `filters=`; also the
/// value of the `dimension` column of the per-dimension rollups.
///
/// Two kinds, with different definitions (docs/stats.md):
/// - session dimensions are attributes of a visit (from its first event, or its first and last pageview);
///   every visit has exactly one value, NULL shown as `(none)`;
/// - event dimensions (`page`, `event`) are attributes of single events: a page event has a `page`, a
///   `track` event an `event`; a visit has as many values as it has distinct ones among its events.
package typealias StatsProperty = RollupDimension

extension RollupDimension {
    /// The shown value of a missing attribute; filters match it against NULL.
    package static var none: String { noValue }

    /// Whether it belongs to single events (`page`, `event`) rather than to visits.
    package var isEventDimension: Bool { if case .event = kind { true } else { false } }

    /// The column of `analytics.sessions` holding a session dimension; for an event dimension, the array
    /// of the visit's distinct values (`pages`, `event_names`).
    package var sessionColumn: String {
        switch kind {
        case .session(let column): column
        case .event(_, _, let visitColumn): visitColumn
        }
    }

    /// For an event dimension: the column of `analytics.events` holding it, and the one event type that has
    /// it (`page` events have a page, `track` events an event name).
    package var eventColumn: (column: String, type: String)? {
        switch kind {
        case .session: nil
        case .event(let type, let column, _): (column, type)
        }
    }

    /// Reads a property as a caller writes it: our name (`utm_source`), or Plausible's prefixed one
    /// (`visit:utm_source`, `event:page`, `event:name`, `event:goal`, `visit:source`, `visit:referrer`).
    package init?(parameter text: some StringProtocol) {
        let text = String(text)
        if let plain = RollupDimension(rawValue: text) {
            self = plain
            return
        }
        switch text {
        case "event:name", "event:goal": self = .event
        case "event:page": self = .page
        case "visit:source", "visit:referrer": self = .referrer
        default:
            guard text.hasPrefix("visit:"), let plain = RollupDimension(rawValue: String(text.dropFirst(6))),
                !plain.isEventDimension
            else { return nil }
            self = plain
        }
    }

    /// Every name `init(parameter:)` reads, for messages and the API description.
    package static var acceptedNames: [String] {
        allCases.map(\.name)
            + ["event:name", "event:goal", "event:page", "visit:source", "visit:referrer"]
            + allCases.filter { !$0.isEventDimension && $0 != .referrer }.map { "visit:\($0.name)" }
    }
}
