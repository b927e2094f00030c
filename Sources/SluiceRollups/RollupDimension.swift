// SluiceRollups: the rules of the rollup tables without I/O — the dimensions and where their values come
// from, the HyperLogLog parameters, and which buckets a set of marks makes the rollups job recompute. The
// job itself (SluiceRollupsJob) turns them into SQL.

/// A property that dashboards break numbers down by, with one row per value and bucket in
/// `analytics.rollup_hourly_dims` and `analytics.rollup_daily_dims`.
public enum RollupDimension: String, Sendable, CaseIterable {
    case event
    case page
    case entryPage = "entry_page"
    case exitPage = "exit_page"
    case referrer
    case utmSource = "utm_source"
    case utmMedium = "utm_medium"
    case utmCampaign = "utm_campaign"
    case country
    case browser
    case os
    case device

    /// How a dimension's rows are counted.
    public enum Kind: Sendable, Equatable {
        /// An attribute of a visit: the rows count the visits started in the bucket with that value, and
        /// their persons, pageviews and events.
        case session(column: String)
        /// An attribute of single events: visitors, pageviews and events count the matching events of the
        /// bucket; visits, bounces and durations the visits started in the bucket that hold a matching event.
        case event(type: String, column: String, visitColumn: String)
    }

    /// The name stored in the `dimension` column and used by the Stats API (`property=`).
    public var name: String { rawValue }

    public var kind: Kind {
        switch self {
        case .event: .event(type: "track", column: "event", visitColumn: "event_names")
        case .page: .event(type: "page", column: "page_path", visitColumn: "pages")
        case .entryPage: .session(column: "entry_page")
        case .exitPage: .session(column: "exit_page")
        case .referrer: .session(column: "referrer_host")
        case .utmSource: .session(column: "utm_source")
        case .utmMedium: .session(column: "utm_medium")
        case .utmCampaign: .session(column: "utm_campaign")
        case .country: .session(column: "country")
        case .browser: .session(column: "browser")
        case .os: .session(column: "os")
        case .device: .session(column: "device_type")
        }
    }

    /// The dimensions counted per visit, in declaration order.
    public static var sessionDimensions: [RollupDimension] {
        allCases.filter { if case .session = $0.kind { true } else { false } }
    }

    /// What a NULL value is stored and shown as.
    public static let noValue = "(none)"
}
