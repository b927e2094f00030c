import SluiceCore

/// A visit as the definitions say it should be, worked out here from the events a test generated, without
/// any of the code under test.
struct Visit: Hashable {
    var projectID: Int64
    var person: String
    var start: Int64  // Unix microseconds
    var end: Int64
    var pageviews = 0
    var events = 0
    var entryPage: String?
    var exitPage: String?
    var referrer: String?
    var utmSource: String?
    var utmMedium: String?
    var utmCampaign: String?
    var country: String?
    var browser: String?
    var os: String?
    var device: String?
    var pages: Set<String> = []
    var eventNames: Set<String> = []

    var isBounce: Bool { pageviews == 1 && events == 1 }
    var duration: Int64 { end - start }
}

/// The numbers of a bucket, as counted here; `visitors` is the exact set of persons.
struct Measures: Equatable {
    var visitors: Set<String> = []
    var pageviews = 0
    var events = 0
    var visits = 0
    var bounces = 0
    var duration: Int64 = 0
    var visitPageviews = 0

    mutating func add(visit: Visit) {
        visits += 1
        bounces += visit.isBounce ? 1 : 0
        duration += visit.duration
        visitPageviews += visit.pageviews
    }
}

/// Where a rollup row lives: project, `dimension` ("" for the totals), bucket (an hour's or a day's number
/// since the epoch) and value.
struct BucketKey: Hashable, CustomStringConvertible {
    var projectID: Int64
    var dimension: String
    var bucket: Int64
    var value: String

    var description: String { "project \(projectID) \(dimension.isEmpty ? "total" : dimension) \(bucket) '\(value)'" }
}

/// Every visit and every rollup row that a list of events must produce, by the definitions of
/// docs/stats.md: counted events are track, page and screen calls not from bots; a person is the userId,
/// else the anonymousId; an event more than 30 minutes after the person's previous counted event starts a
/// new visit; a NULL dimension value is '(none)'.
struct ExpectedStats {
    static let gap: Int64 = 30 * 60 * 1_000_000
    static let hour: Int64 = 3_600_000_000
    static let none = "(none)"

    let visits: [Visit]
    /// By hour (Unix hours) and by day (Unix days), totals under dimension "".
    let hourly: [BucketKey: Measures]
    let daily: [BucketKey: Measures]

    init(_ rows: [EventRow]) {
        let counted = rows.filter { row in
            [.track, .page, .screen].contains(row.type) && !row.isBot && (row.userID ?? row.anonymousID) != nil
        }
        // Visits: per project and person, in (timestamp, message id) order.
        var byPerson: [String: [EventRow]] = [:]
        for row in counted { byPerson["\(row.projectID)/\(row.userID ?? row.anonymousID!)", default: []].append(row) }
        var visits: [Visit] = []
        for (_, events) in byPerson {
            let sorted = events.sorted {
                ($0.timestamp.unixMicroseconds, $0.messageID) < ($1.timestamp.unixMicroseconds, $1.messageID)
            }
            var current: Visit?
            for event in sorted {
                let time = event.timestamp.unixMicroseconds
                if var visit = current, time - visit.end <= Self.gap {
                    visit.end = time
                    Self.add(event, to: &visit)
                    current = visit
                } else {
                    if let done = current { visits.append(done) }
                    var visit = Visit(
                        projectID: event.projectID, person: event.userID ?? event.anonymousID!, start: time, end: time,
                        referrer: event.referrerHost, utmSource: event.utmSource, utmMedium: event.utmMedium,
                        utmCampaign: event.utmCampaign, country: event.country, browser: event.browser, os: event.os,
                        device: event.deviceType
                    )
                    Self.add(event, to: &visit)
                    current = visit
                }
            }
            if let done = current { visits.append(done) }
        }
        self.visits = visits

        var hourly: [BucketKey: Measures] = [:]
        var daily: [BucketKey: Measures] = [:]
        func count(
            _ dimension: String, _ value: String?, at time: Int64, _ body: (inout Measures) -> Void, project: Int64
        ) {
            let value = dimension.isEmpty ? "" : value ?? Self.none
            body(
                &hourly[
                    BucketKey(
                        projectID: project, dimension: dimension, bucket: Self.floor(time, Self.hour), value: value),
                    default: Measures()])
            body(
                &daily[
                    BucketKey(
                        projectID: project, dimension: dimension, bucket: Self.floor(time, 24 * Self.hour), value: value
                    ), default: Measures()])
        }
        for event in counted {
            let person = event.userID ?? event.anonymousID!
            let time = event.timestamp.unixMicroseconds
            let isPage = event.type == .page
            let byEvent: (inout Measures) -> Void = { measures in
                measures.visitors.insert(person)
                measures.events += 1
                measures.pageviews += isPage ? 1 : 0
            }
            count("", nil, at: time, byEvent, project: event.projectID)
            if isPage { count("page", event.pagePath, at: time, byEvent, project: event.projectID) }
            if event.type == .track { count("event", event.event, at: time, byEvent, project: event.projectID) }
        }
        for visit in visits {
            count("", nil, at: visit.start, { $0.add(visit: visit) }, project: visit.projectID)
            let attributes: [(String, String?)] = [
                ("entry_page", visit.entryPage), ("exit_page", visit.exitPage), ("referrer", visit.referrer),
                ("utm_source", visit.utmSource), ("utm_medium", visit.utmMedium), ("utm_campaign", visit.utmCampaign),
                ("country", visit.country), ("browser", visit.browser), ("os", visit.os), ("device", visit.device),
            ]
            for (dimension, value) in attributes {
                count(
                    dimension, value, at: visit.start,
                    { measures in
                        measures.add(visit: visit)
                        measures.visitors.insert(visit.person)
                        measures.pageviews += visit.pageviews
                        measures.events += visit.events
                    }, project: visit.projectID)
            }
            for page in visit.pages {
                count("page", page, at: visit.start, { $0.add(visit: visit) }, project: visit.projectID)
            }
            for name in visit.eventNames {
                count("event", name, at: visit.start, { $0.add(visit: visit) }, project: visit.projectID)
            }
        }
        self.hourly = hourly
        self.daily = daily
    }

    private static func add(_ event: EventRow, to visit: inout Visit) {
        visit.events += 1
        switch event.type {
        case .page:
            visit.pageviews += 1
            if visit.pageviews == 1 { visit.entryPage = event.pagePath }
            visit.exitPage = event.pagePath
            visit.pages.insert(event.pagePath ?? none)
        case .track:
            if let name = event.event { visit.eventNames.insert(name) }
        default:
            break
        }
    }

    static func floor(_ value: Int64, _ unit: Int64) -> Int64 {
        value >= 0 ? value / unit : (value - unit + 1) / unit
    }

    /// The hours (Unix hours) of `project` whose rows differ between `self` and `other`, totals or any
    /// dimension.
    func hoursDiffering(from other: ExpectedStats) -> Set<Int64> {
        Set(Set(hourly.keys).union(other.hourly.keys).filter { hourly[$0] != other.hourly[$0] }.map(\.bucket))
    }
}
