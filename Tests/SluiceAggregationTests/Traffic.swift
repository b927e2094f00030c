import SluiceCore
import SluiceWorkload

/// The events the aggregation tests load: realistic generated visits, and hand-made people at the edges of
/// the definitions.
enum Traffic {
    static let minute: Int64 = 60_000_000

    /// A day a few days back, so that every event lies inside the loader's backfill window.
    static var edgeDay: CalendarDay { CalendarDay.today().adding(days: -3) }

    /// `count` generated events over the last `days` days for `projectID` (SyntheticEvents: interleaved
    /// visits, page/track/identify/screen calls, bots, server-side calls without an anonymousId).
    static func generated(projectID: Int64, count: Int, days: Int, users: Int, seed: UInt64) -> [EventRow] {
        var events = SyntheticEvents(projectID: projectID, seed: seed, days: days, users: users, now: .now())
        return events.rows(count)
    }

    /// One event of a hand-made person.
    static func event(
        _ type: EventType, _ person: String, at time: Int64, project: Int64 = 1, name: String? = nil,
        path: String? = "/", userID: String? = nil, bot: Bool = false, referrer: String? = nil,
        utmSource: String? = nil, id: String
    ) -> EventRow {
        EventRow(
            projectID: project, messageID: id, type: type, event: name ?? (type == .page ? "Page" : nil),
            userID: userID, anonymousID: person, timestamp: Timestamp(unixMicroseconds: time),
            receivedAt: Timestamp(unixMicroseconds: time + 1_000), pagePath: type == .page ? path : nil,
            referrerHost: referrer, utmSource: utmSource, utmMedium: utmSource.map { _ in "email" },
            utmCampaign: utmSource.map { _ in "spring" }, country: "DE", browser: "Firefox", os: "Linux",
            deviceType: bot ? "bot" : "desktop", isBot: bot
        )
    }

    /// People at the edges of the definitions, on ``edgeDay``: pauses of 29, 30 and 31 minutes, a visit
    /// across midnight, a bot, identify calls that must not hold a visit open, a page without a path, a
    /// logged-in person (userId wins over anonymousId), screens and named track events.
    static func edgeCases() -> [EventRow] {
        let noon = edgeDay.start.unixMicroseconds + 12 * 60 * minute
        let midnight = edgeDay.adding(days: 1).start.unixMicroseconds
        var rows: [EventRow] = []
        var serial = 0
        func add(
            _ type: EventType, _ person: String, _ time: Int64, name: String? = nil, path: String? = "/",
            userID: String? = nil, bot: Bool = false, referrer: String? = nil, utmSource: String? = nil
        ) {
            serial += 1
            rows.append(
                event(
                    type, person, at: time, name: name, path: path, userID: userID, bot: bot, referrer: referrer,
                    utmSource: utmSource, id: "edge-\(serial)"))
        }
        // 29 minutes: one visit of two pageviews, /a then /b, from a newsletter.
        add(.page, "edge-29", noon, path: "/a", referrer: "news.example", utmSource: "newsletter")
        add(.page, "edge-29", noon + 29 * minute, path: "/b")
        // 31 minutes: two bounces.
        add(.page, "edge-31", noon, path: "/a")
        add(.page, "edge-31", noon + 31 * minute, path: "/a")
        // Exactly 30 minutes joins; 30 minutes and one microsecond does not.
        add(.page, "edge-30", noon, path: "/c")
        add(.track, "edge-30", noon + 30 * minute, name: "Signed Up")
        add(.screen, "edge-30", noon + 60 * minute + 1, name: "Home")
        // Across midnight: one visit, counted on the day it started.
        add(.page, "edge-midnight", midnight - 10 * minute, path: "/late")
        add(.track, "edge-midnight", midnight + 10 * minute, name: "Order Completed")
        add(.page, "edge-midnight", midnight + 25 * minute, path: "/thanks")
        // A bot: no visits, no pageviews, no visitors.
        add(.page, "edge-bot", noon, path: "/a", bot: true)
        add(.page, "edge-bot", noon + minute, path: "/b", bot: true)
        // identify in the middle of a 40-minute pause does not keep the visit open.
        add(.page, "edge-identify", noon, path: "/a")
        add(.identify, "edge-identify", noon + 20 * minute, path: nil)
        add(.page, "edge-identify", noon + 40 * minute, path: "/a")
        // A page event without a path: page '(none)'.
        add(.page, "edge-nopath", noon + 5 * minute, path: nil)
        add(.track, "edge-nopath", noon + 6 * minute, name: "Button Clicked")
        // Logged in: the userId is the person, whatever the anonymousId.
        add(.page, "edge-anon-1", noon, path: "/account", userID: "edge-user")
        add(.page, "edge-anon-2", noon + 10 * minute, path: "/account", userID: "edge-user")
        return rows
    }
}
