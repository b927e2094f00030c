import SluiceStats

/// The Stats API's answers computed from the events a test sent, by the definitions of docs/stats.md, with
/// none of the code that answers them (no SQL, no rollups, no plan): visits split by the 30-minute rule
/// here, then counted in plain loops.
struct StatsOracle {
    struct Visit {
        var person: String
        var events: [SentEvent]
        var start: Int64 { events.first!.time }
        var end: Int64 { events.last!.time }
        var pageviews: Int { events.filter { $0.kind == .page }.count }
        var isBounce: Bool { pageviews == 1 && events.count == 1 }
    }

    /// Sums as the API reports them before rounding.
    struct Measures: Equatable {
        var visitors = 0
        var pageviews = 0
        var events = 0
        var visits = 0
        var bounces = 0
        var durationMicroseconds: Int64 = 0
        var visitPageviews = 0

        var isZero: Bool { self == Measures() }

        /// A metric as the API shows it: rates rounded half away from zero, two decimals where it has them.
        func value(_ metric: StatsMetric, totalVisitors: Int = 0) -> Double {
            func ratio(_ numerator: Double, _ denominator: Int) -> Double {
                denominator == 0 ? 0 : numerator / Double(denominator)
            }
            switch metric {
            case .visitors: return Double(visitors)
            case .visits: return Double(visits)
            case .pageviews: return Double(pageviews)
            case .events: return Double(events)
            case .bounceRate: return ratio(100 * Double(bounces), visits).rounded(.toNearestOrAwayFromZero)
            case .visitDuration:
                return ratio(Double(durationMicroseconds) / 1e6, visits).rounded(.toNearestOrAwayFromZero)
            case .viewsPerVisit:
                return (ratio(100 * Double(visitPageviews), visits)).rounded(.toNearestOrAwayFromZero) / 100
            case .conversionRate:
                return (ratio(10_000 * Double(visitors), totalVisitors)).rounded(.toNearestOrAwayFromZero) / 100
            }
        }
    }

    let counted: [SentEvent]
    let visits: [Visit]
    /// The visit of each counted event, by message id.
    let visitOf: [String: Int]

    static let gap: Int64 = 30 * 60_000_000

    init(_ sent: [SentEvent]) {
        counted = sent.filter(\.isCounted)
        var visits: [Visit] = []
        var visitOf: [String: Int] = [:]
        let byPerson = Dictionary(grouping: counted, by: \.person)
        for person in byPerson.keys.sorted() {
            let ordered = byPerson[person]!.sorted { ($0.time, $0.messageID) < ($1.time, $1.messageID) }
            for event in ordered {
                if let last = visits.last, last.person == person, event.time - last.end <= Self.gap {
                    visits[visits.count - 1].events.append(event)
                } else {
                    visits.append(Visit(person: person, events: [event]))
                }
                visitOf[event.messageID] = visits.count - 1
            }
        }
        self.visits = visits
        self.visitOf = visitOf
    }

    // MARK: - Dimension values

    static func shown(_ value: String?) -> String { value ?? StatsProperty.none }

    /// A visit's value of a session dimension.
    func value(_ visit: Visit, _ property: StatsProperty) -> String {
        let first = visit.events.first!
        let pages = visit.events.filter { $0.kind == .page }
        switch property {
        case .entryPage: return pages.first.map { Self.shown($0.path) } ?? StatsProperty.none
        case .exitPage: return pages.last.map { Self.shown($0.path) } ?? StatsProperty.none
        case .referrer: return Self.shown(first.referrer?.host)
        case .utmSource: return Self.shown(first.campaign?.source)
        case .utmMedium: return Self.shown(first.campaign?.medium)
        case .utmCampaign: return Self.shown(first.campaign?.name)
        case .country: return Self.shown(first.country)
        case .browser: return Self.shown(first.agent?.browser)
        case .os: return Self.shown(first.agent?.os)
        case .device: return Self.shown(first.agent?.device)
        case .page, .event: preconditionFailure("\(property) is an event dimension")
        }
    }

    /// An event's value of an event dimension: pages have a page, track calls an event; nil otherwise.
    static func value(_ event: SentEvent, _ property: StatsProperty) -> String? {
        switch property {
        case .page: return event.kind == .page ? shown(event.path) : nil
        case .event: return event.kind == .track ? shown(event.name) : nil
        default: preconditionFailure("\(property) is a session dimension")
        }
    }

    // MARK: - Answers

    /// The aggregate of `[start, end)` (microseconds) under `filters`; with `only`, the event measures count
    /// only events having that value of that event dimension (a breakdown row by an event dimension).
    func measures(
        _ filters: [StatsFilter], from start: Int64, to end: Int64, only: (StatsProperty, String)? = nil
    ) -> Measures {
        let sessionFilters = filters.filter { !$0.property.isEventDimension }
        let eventFilters = filters.filter { $0.property.isEventDimension }
        func selected(_ visit: Visit) -> Bool {
            sessionFilters.allSatisfy { $0.matches(value(visit, $0.property)) }
                && eventFilters.allSatisfy { filter in
                    visit.events.contains { Self.value($0, filter.property).map(filter.matches) ?? false }
                }
        }
        var result = Measures()
        var people = Set<String>()
        let inRange = visits.filter { selected($0) && $0.start >= start && $0.start < end }
        result.visits = inRange.count
        result.bounces = inRange.filter(\.isBounce).count
        result.durationMicroseconds = inRange.reduce(0) { $0 + $1.end - $1.start }
        result.visitPageviews = inRange.reduce(0) { $0 + $1.pageviews }
        if eventFilters.isEmpty && only == nil && !sessionFilters.isEmpty {
            people = Set(inRange.map(\.person))
            result.pageviews = result.visitPageviews
            result.events = inRange.reduce(0) { $0 + $1.events.count }
        } else {
            let dimensions = Set(eventFilters.map(\.property) + (only.map { [$0.0] } ?? []))
            for event in counted where event.time >= start && event.time < end {
                if let (property, wanted) = only, Self.value(event, property) != wanted { continue }
                if !dimensions.isEmpty {
                    guard dimensions.contains(where: { Self.value(event, $0) != nil }) else { continue }
                    let meets = eventFilters.allSatisfy { filter in
                        Self.value(event, filter.property).map(filter.matches) ?? true
                    }
                    guard meets else { continue }
                }
                guard selected(visits[visitOf[event.messageID]!]) else { continue }
                people.insert(event.person)
                result.events += 1
                if event.kind == .page { result.pageviews += 1 }
            }
        }
        result.visitors = people.count
        return result
    }

    func measures(_ filters: [StatsFilter], _ range: StatsRange) -> Measures {
        measures(filters, from: range.start.unixMicroseconds, to: range.end.unixMicroseconds)
    }

    /// Every bucket of the range, in order, with its label as the API writes it.
    func timeseries(_ filters: [StatsFilter], _ range: StatsRange, _ interval: StatsInterval) -> [(String, Measures)] {
        let step: Int64 = interval == .day ? 86_400_000_000 : 3_600_000_000
        var rows: [(String, Measures)] = []
        var bucket = range.start.unixMicroseconds
        while bucket < range.end.unixMicroseconds {
            let iso = SentEvent.iso(bucket)
            let label = interval == .day ? String(iso.prefix(10)) : String(iso.prefix(13)) + ":00:00Z"
            rows.append((label, measures(filters, from: bucket, to: bucket + step)))
            bucket += step
        }
        return rows
    }

    /// The breakdown rows, sorted as the API sorts them (visitors, pageviews, value by code points), not cut.
    func breakdown(_ property: StatsProperty, _ filters: [StatsFilter], _ range: StatsRange) -> [(String, Measures)] {
        var candidates = Set<String>()
        if property.isEventDimension {
            for visit in visits {
                for event in visit.events { if let value = Self.value(event, property) { candidates.insert(value) } }
            }
        } else {
            for visit in visits { candidates.insert(value(visit, property)) }
        }
        let own = filters.filter { $0.property == property }
        var rows: [(String, Measures)] = []
        for candidate in candidates where own.allSatisfy({ $0.matches(candidate) }) {
            let row = measures(
                filters + [StatsFilter(property, .is, [candidate])], from: range.start.unixMicroseconds,
                to: range.end.unixMicroseconds, only: property.isEventDimension ? (property, candidate) : nil
            )
            if !row.isZero { rows.append((candidate, row)) }
        }
        return rows.sorted { left, right in
            if left.1.visitors != right.1.visitors { return left.1.visitors > right.1.visitors }
            if left.1.pageviews != right.1.pageviews { return left.1.pageviews > right.1.pageviews }
            return Array(left.0.unicodeScalars.map(\.value)).lexicographicallyPrecedes(
                right.0.unicodeScalars.map(\.value))
        }
    }
}
