import Foundation
import SluiceCore

/// One event the tests send, with what Sluice is expected to store of it (the values the enrichment derives
/// from its page, referrer, campaign, location and user agent), for ``StatsOracle``.
struct SentEvent: Sendable {
    enum Kind: String, Sendable { case page, track, screen, identify }

    var messageID: String
    var kind: Kind
    /// The track name, or the page/screen name.
    var name: String?
    var userID: String?
    var anonymousID: String?
    /// Microseconds since 1970 (whole milliseconds: the JSON carries milliseconds).
    var time: Int64
    var path: String?
    var referrer: Referrer?
    var campaign: Campaign?
    var country: String?
    var agent: Agent?

    var person: String { userID ?? anonymousID ?? "" }
    var isBot: Bool { agent?.device == "bot" }
    /// Counted: track, page and screen calls not from bots.
    var isCounted: Bool { kind != .identify && !isBot }

    struct Referrer: Sendable {
        var url: String
        /// As stored: lower case, without `www.`, nil for the site's own host.
        var host: String?
    }

    struct Campaign: Sendable {
        var source: String
        var medium: String
        var name: String
    }

    struct Agent: Sendable {
        var text: String
        var browser: String
        var os: String?
        var device: String
    }

    /// The Segment JSON of the event.
    var json: String {
        var fields: [String] = [
            #""type":"\#(kind.rawValue)""#, #""messageId":\#(JSONString.quoted(messageID))"#,
            #""timestamp":"\#(Self.iso(time))""#,
        ]
        if let userID { fields.append(#""userId":\#(JSONString.quoted(userID))"#) }
        if let anonymousID { fields.append(#""anonymousId":\#(JSONString.quoted(anonymousID))"#) }
        switch kind {
        case .track: fields.append(#""event":\#(JSONString.quoted(name ?? ""))"#)
        case .page, .screen: if let name { fields.append(#""name":\#(JSONString.quoted(name))"#) }
        case .identify: fields.append(#""traits":{"plan":"pro"}"#)
        }
        var context: [String] = []
        if let path {
            var page = [
                #""path":\#(JSONString.quoted(path))"#, #""url":\#(JSONString.quoted("https://shop.example" + path))"#,
            ]
            if let referrer { page.append(#""referrer":\#(JSONString.quoted(referrer.url))"#) }
            context.append(#""page":{\#(page.joined(separator: ","))}"#)
        }
        if let campaign {
            context.append(
                #""campaign":{"source":\#(JSONString.quoted(campaign.source)),"#
                    + #""medium":\#(JSONString.quoted(campaign.medium)),"name":\#(JSONString.quoted(campaign.name))}"#
            )
        }
        if let country { context.append(#""location":{"country":"\#(country)"}"#) }
        if let agent { context.append(#""userAgent":\#(JSONString.quoted(agent.text))"#) }
        if !context.isEmpty { fields.append(#""context":{\#(context.joined(separator: ","))}"#) }
        return "{" + fields.joined(separator: ",") + "}"
    }

    static func iso(_ microseconds: Int64) -> String {
        let day = CalendarDay(unixDay: Int64((Double(microseconds) / 86_400_000_000).rounded(.down)))
        let inDay = microseconds - day.unixDay * 86_400_000_000
        let milliseconds = inDay / 1000
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(day)T\(pad(milliseconds / 3_600_000, 2)):\(pad(milliseconds / 60_000 % 60, 2)):"
            + "\(pad(milliseconds / 1000 % 60, 2)).\(pad(milliseconds % 1000, 3))Z"
    }
}

/// Generated browsing: people with a few visits each over ten days, landing from search, a social site, a
/// campaign or nowhere, then moving through pages with track calls, app screens and identify calls in
/// between; plus the cases the definitions turn on: gaps of 29, 30 and 31 minutes, a visit across midnight,
/// a crawler, a page without a path, a server-side track call, values with `;`, `|` and non-ASCII characters.
struct StatsTraffic {
    /// The first day of the traffic; it spans this day and the nine after it.
    let firstDay: CalendarDay
    private(set) var events: [SentEvent] = []
    private var random: UInt64
    private var counter = 0

    static let paths = ["/", "/pricing", "/docs", "/blog/hello", "/über", "/a;b|c"]
    static let tracks = ["Signup", "Order Completed", "Button Clicked"]
    static let countries: [String?] = ["DE", "US", "FR", nil]
    static let referrers: [SentEvent.Referrer?] = [
        .init(url: "https://www.google.com/search?q=shoes", host: "google.com"),
        .init(url: "https://news.ycombinator.com/item?id=1", host: "news.ycombinator.com"),
        .init(url: "https://shop.example/blog", host: nil),
        nil, nil,
    ]
    static let campaigns: [SentEvent.Campaign?] = [
        .init(source: "newsletter", medium: "email", name: "spring"),
        .init(source: "twitter", medium: "social", name: "launch"),
        nil, nil, nil,
    ]
    static let agents: [SentEvent.Agent] = [
        .init(
            text: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) "
                + "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36",
            browser: "Chrome", os: "Windows", device: "desktop"
        ),
        .init(
            text: "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:139.0) Gecko/20100101 Firefox/139.0",
            browser: "Firefox", os: "Linux", device: "desktop"
        ),
        .init(
            text: "Mozilla/5.0 (Linux; Android 10; K) "
                + "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Mobile Safari/537.36",
            browser: "Chrome", os: "Android", device: "mobile"
        ),
        .init(
            text: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) "
                + "AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/137.0.7151.51 Mobile/15E148 Safari/604.1",
            browser: "Chrome", os: "iOS", device: "mobile"
        ),
    ]
    static let crawler = SentEvent.Agent(
        text: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", browser: "Googlebot", os: nil,
        device: "bot"
    )

    static let minute: Int64 = 60_000_000

    init(firstDay: CalendarDay, people: Int = 40, seed: UInt64 = 0x5eed) {
        self.firstDay = firstDay
        random = seed
        for number in 0..<people { addPerson(number) }
        addEdgeCases()
    }

    /// The days the traffic covers.
    var lastDay: CalendarDay { firstDay.adding(days: 9) }

    // MARK: - Generation

    private mutating func next(_ bound: Int) -> Int {
        // SplitMix64: a fixed, platform-independent stream.
        random &+= 0x9E37_79B9_7F4A_7C15
        var value = random
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((value ^ (value >> 31)) % UInt64(bound))
    }

    private mutating func pick<T>(_ values: [T]) -> T { values[next(values.count)] }

    private mutating func event(_ kind: SentEvent.Kind, person: (user: String?, anonymous: String?), at time: Int64)
        -> SentEvent
    {
        counter += 1
        return SentEvent(
            messageID: "m-\(counter)", kind: kind, userID: person.user, anonymousID: person.anonymous, time: time
        )
    }

    private mutating func addPerson(_ number: Int) {
        let person: (user: String?, anonymous: String?) = (
            number % 3 == 0 ? "user-\(number)" : nil, number % 7 == 6 ? nil : "anon-\(number)"
        )
        let who = person.user == nil && person.anonymous == nil ? (nil, "anon-\(number)") : person
        let country = pick(Self.countries)
        let agent = pick(Self.agents)
        for _ in 0..<(1 + next(3)) {
            var time = firstDay.start.unixMicroseconds + Int64(next(10 * 86_400)) * 1_000_000 + Int64(next(1000)) * 1000
            var path = pick(Self.paths)
            var landing = event(.page, person: who, at: time)
            landing.path = path
            landing.name = "Landing"
            landing.referrer = pick(Self.referrers)
            landing.campaign = pick(Self.campaigns)
            landing.country = country
            landing.agent = agent
            events.append(landing)
            for _ in 0..<next(6) {
                time += Int64(5 + next(25 * 60)) * 1_000_000 + Int64(next(1000)) * 1000
                let roll = next(10)
                var later: SentEvent
                if roll < 5 {
                    path = pick(Self.paths)
                    later = event(.page, person: who, at: time)
                    later.path = path
                } else if roll < 8 {
                    later = event(.track, person: who, at: time)
                    later.name = pick(Self.tracks)
                    later.path = path
                } else if roll < 9 {
                    later = event(.screen, person: who, at: time)
                    later.name = "Home"
                } else {
                    later = event(.identify, person: who, at: time)
                }
                later.country = country
                if later.kind != .screen { later.agent = agent }
                events.append(later)
            }
        }
    }

    private mutating func addEdgeCases() {
        let agent = Self.agents[1]
        func page(_ traffic: inout StatsTraffic, _ who: String, _ time: Int64, _ path: String?) {
            var sent = traffic.event(.page, person: (nil, who), at: time)
            sent.path = path
            sent.country = "DE"
            sent.agent = agent
            traffic.events.append(sent)
        }
        // 29 minutes, then exactly 30 minutes 0 seconds: one visit; then 31 minutes: a second.
        let gaps = firstDay.adding(days: 2).start.unixMicroseconds + 10 * 60 * Self.minute
        page(&self, "gaps", gaps, "/")
        page(&self, "gaps", gaps + 29 * Self.minute, "/pricing")
        page(&self, "gaps", gaps + 59 * Self.minute, "/docs")
        page(&self, "gaps", gaps + 90 * Self.minute, "/")
        // A visit from 23:50 into the next day.
        let midnight = firstDay.adding(days: 4).start.unixMicroseconds - 10 * Self.minute
        page(&self, "midnight", midnight, "/")
        page(&self, "midnight", midnight + 8 * Self.minute, "/pricing")
        page(&self, "midnight", midnight + 25 * Self.minute, "/docs")
        var order = event(.track, person: (nil, "midnight"), at: midnight + 40 * Self.minute)
        order.name = "Order Completed"
        order.agent = agent
        events.append(order)
        // A page call with no page at all: its page is (none).
        page(&self, "pathless", firstDay.adding(days: 5).start.unixMicroseconds + 3 * 60 * Self.minute, nil)
        // A crawler: never counted.
        for step in 0..<4 {
            var crawl = event(
                .page, person: (nil, "crawler"),
                at: firstDay.adding(days: 1).start.unixMicroseconds + Int64(step) * Self.minute)
            crawl.path = "/pricing"
            crawl.agent = Self.crawler
            events.append(crawl)
        }
        // A server-side track call: no page, no user agent, no country.
        var server = event(
            .track, person: ("user-0", nil), at: firstDay.adding(days: 6).start.unixMicroseconds + 12 * 60 * Self.minute
        )
        server.name = "Signup"
        events.append(server)
    }
}
