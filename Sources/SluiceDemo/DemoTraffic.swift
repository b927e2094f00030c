import SluiceCore
import SluiceExperiments
import SluiceWorkload

/// A few days of one demo site's traffic, generated at once and deterministic for a seed.
///
/// Equal `site`, `seed`, `days` and `now` give equal events on every platform. Visits start at times drawn with
/// the visitor's local hour of day (``SluiceWorkload``'s daytime curve: quiet at night, busiest in the afternoon)
/// and the site's weekend factor; each lands on a page picked by the site's Zipf popularity curve, arrives from a
/// campaign link, another site or directly, and either bounces (one page view, nothing else) or goes on for a few
/// page views 15 s to 4 min apart (so a visit never has a 30-minute gap). People come back: the pool holds about
/// one person for every 1.6 visits. On the shop, a product page fires `Product Viewed` and, for people in the
/// running experiment, `Experiment Viewed` with the variation GrowthBook's bucketing gives them (the same one the
/// assignments job computes), after which the visit converts (`Order Completed`) with the variation's chance. On
/// the blog, articles now and then end in `Newsletter Subscribed`.
public struct DemoTraffic: Sendable {
    public let site: DemoSite
    /// Every event, in time order; all between `now − days` and `now − 45 minutes`.
    public let events: [DemoEvent]

    /// The earliest a visit may start before `now`, so that its events (at most ~40 minutes) end before `now`.
    static let headroom: Int64 = 45 * 60 * 1_000_000

    /// - Parameters:
    ///   - days: the span before `now` that the traffic covers; at least 1.
    ///   - now: the end of the span; no event is later.
    public init(site: DemoSite, seed: UInt64, days: Int, now: Timestamp) {
        precondition(days >= 1, "days must be at least 1")
        var generator = Generator(site: site, seed: seed, days: days, now: now)
        self.site = site
        events = generator.run()
    }

    /// The instant `days` days before `now`: where the traffic (and the demo experiment) begins.
    public static func start(days: Int, now: Timestamp) -> Timestamp {
        Timestamp(unixMicroseconds: now.unixMicroseconds - Int64(days) * 86_400_000_000)
    }
}

/// A person who visits a demo site, with what stays the same across their visits.
struct DemoPerson {
    let anonymousID: String
    let userID: String?
    let agent: UserAgent
    let country: Country
    /// The experiment variation GrowthBook's bucketing puts them in; nil outside it (or on a site without one).
    let variation: Int?

    var personID: String { userID ?? anonymousID }
}

/// The generator's state: one stream of random numbers, read in a fixed order.
private struct Generator {
    let site: DemoSite
    let days: Int
    let now: Timestamp
    var random: Xoshiro256StarStar
    let popularity: WeightedTable<Int>
    let people: [DemoPerson]
    var events: [DemoEvent] = []

    init(site: DemoSite, seed: UInt64, days: Int, now: Timestamp) {
        self.site = site
        self.days = days
        self.now = now
        // Each site its own stream, so the shop's traffic does not change when the blog's does.
        var random = Xoshiro256StarStar(seed: seed ^ Self.fnv(site.host))
        popularity = WeightedTable(Array(zip(site.pages.indices, site.pageWeights)))
        let count = max(40, site.visitsPerDay * days * 10 / 16)
        var people: [DemoPerson] = []
        people.reserveCapacity(count)
        for _ in 0..<count {
            let agent = Pools.userAgents[Pools.userAgentTable.pick(using: &random)]
            let country = Pools.countries[agent.isBot ? 0 : Pools.countryTable.pick(using: &random)]
            let anonymousID = random.uuidString()
            let userID = !agent.isBot && random.chance(0.15) ? "usr_" + random.hexString(count: 10) : nil
            var variation: Int?
            if let experiment = site.experiment, !agent.isBot {
                let assignment = experiment.definition.assign(
                    ExperimentAttributes(
                        userId: userID, anonymousId: anonymousID, country: country.code, browser: agent.browser,
                        os: agent.os, device: agent.deviceType
                    )
                )
                variation = assignment.inExperiment ? assignment.variant : nil
            }
            people.append(
                DemoPerson(
                    anonymousID: anonymousID, userID: userID, agent: agent, country: country, variation: variation)
            )
        }
        self.people = people
        self.random = random
    }

    static func fnv(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return hash
    }

    mutating func run() -> [DemoEvent] {
        let visits = site.visitsPerDay * days
        for _ in 0..<visits {
            let person = people[random.below(people.count)]
            visit(person, start: startTime(localTo: person.country))
        }
        return events.sorted { ($0.timestamp, $0.messageID) < ($1.timestamp, $1.messageID) }
    }

    /// A visit's start: uniform over the span, kept with the chance of the visitor's local hour and weekday
    /// (rejection sampling), so the days and hours show their rhythm.
    mutating func startTime(localTo country: Country) -> Int64 {
        let span = Int64(days) * 86_400_000_000 - DemoTraffic.headroom
        let weekdayShare = 1 / max(1, site.weekendFactor)
        let weekendShare = site.weekendFactor / max(1, site.weekendFactor)
        while true {
            let start = now.unixMicroseconds - DemoTraffic.headroom - random.below(span)
            let localHours = start / 3_600_000_000 + Int64(country.utcOffsetHours)
            let hour = Int((localHours % 24 + 24) % 24)
            // 1970-01-01 was a Thursday: day 0 is Thursday, days 2 and 3 are the weekend.
            let weekday = Int(((localHours / 24) % 7 + 7) % 7)
            let dayShare = weekday == 2 || weekday == 3 ? weekendShare : weekdayShare
            if random.chance(Double(Pools.hourlyActivity[hour]) / 100 * dayShare) { return start }
        }
    }

    mutating func visit(_ person: DemoPerson, start: Int64) {
        var visit = VisitContext(person: person, time: start)
        if random.chance(site.campaignShare), !site.campaigns.isEmpty {
            let campaign = site.campaigns[random.below(site.campaigns.count)]
            visit.campaign = campaign
            visit.search = campaign.query
            visit.referrer = campaign.referrer
            visit.referrerHost = campaign.referrer.map(Self.host(of:))
        } else if random.chance(site.referralShare) {
            let source = Pools.referrers.pick(using: &random)
            visit.referrer = source.url
            visit.referrerHost = source.host
        }
        let bounces = person.agent.isBot || random.chance(site.bounceShare)
        let pageCount = bounces ? 1 : 2 + random.geometric(continuing: 0.5, limit: 10)
        var page = site.pages[popularity.pick(using: &random)]
        var exposed = false
        for number in 0..<pageCount {
            if number > 0 {
                visit.time += 15_000_000 + random.below(225_000_000)
                var next = site.pages[popularity.pick(using: &random)]
                if next == page { next = site.pages[popularity.pick(using: &random)] }
                visit.referrer = "https://\(site.host)\(page.path)\(visit.search)"
                visit.search = ""
                visit.campaign = nil
                page = next
            }
            emit(.page, nil, page: page, visit: visit, properties: nil)
            guard !bounces else { return }
            if page.isProduct {
                visit.time += 1_000_000 + random.below(4_000_000)
                emit(.track, "Product Viewed", page: page, visit: visit, properties: productProperties(page))
                if let experiment = site.experiment, let variation = person.variation, !exposed {
                    exposed = true
                    visit.time += 200_000 + random.below(800_000)
                    emit(
                        .track, "Experiment Viewed", page: page, visit: visit,
                        properties: exposureProperties(experiment.definition, variation: variation),
                        variation: variation
                    )
                    if random.chance(experiment.conversionChance[variation]) {
                        checkout(from: page, visit: &visit, skipCart: variation == 1)
                        return
                    }
                } else if random.chance(0.12) {
                    visit.time += 3_000_000 + random.below(20_000_000)
                    emit(.track, "Product Added", page: page, visit: visit, properties: productProperties(page))
                }
            } else if page.path.hasPrefix("/posts/") {
                if random.chance(0.08) {
                    visit.time += 30_000_000 + random.below(120_000_000)
                    var json = JSONWriter(capacity: 64)
                    json.beginObject()
                    json.string("url", "https://github.com/")
                    json.endObject()
                    emit(.track, "Outbound Link Clicked", page: page, visit: visit, properties: json.text)
                }
                if random.chance(0.07) {
                    visit.time += 20_000_000 + random.below(60_000_000)
                    emit(.track, site.goalEvent, page: page, visit: visit, properties: #"{"form":"post_footer"}"#)
                    return
                }
            }
        }
    }

    /// The cart (the control's extra step), the checkout page and the order.
    mutating func checkout(from product: DemoPage, visit: inout VisitContext, skipCart: Bool) {
        var previous = product
        for path in skipCart ? ["/checkout"] : ["/cart", "/checkout"] {
            visit.time += 10_000_000 + random.below(50_000_000)
            visit.referrer = "https://\(site.host)\(previous.path)"
            visit.search = ""
            visit.campaign = nil
            let page = DemoPage(path, path == "/cart" ? "Your cart — Acme Outdoor" : "Checkout — Acme Outdoor")
            emit(.page, nil, page: page, visit: visit, properties: nil)
            previous = page
        }
        visit.time += 30_000_000 + random.below(90_000_000)
        var json = JSONWriter(capacity: 128)
        json.beginObject()
        json.string("order_id", "ord_" + random.hexString(count: 12))
        json.decimal("revenue", cents: 2_900 + random.below(40) * 500)
        json.string("currency", "EUR")
        json.endObject()
        emit(.track, site.goalEvent, page: previous, visit: visit, properties: json.text)
    }

    func productProperties(_ page: DemoPage) -> String {
        var json = JSONWriter(capacity: 96)
        json.beginObject()
        json.string("product_id", String(page.path.split(separator: "/").last ?? ""))
        json.string("name", String(page.title.split(separator: "—").first ?? "").trimmingSpaces())
        json.endObject()
        return json.text
    }

    func exposureProperties(_ definition: ExperimentDefinition, variation: Int) -> String {
        var json = JSONWriter(capacity: 128)
        json.beginObject()
        json.string("experiment_id", definition.key)
        json.string("experiment_name", definition.name ?? definition.key)
        json.int("variation_id", variation)
        if case .string(let text) = definition.variations[variation] {
            json.string("variation_name", text)
        } else {
            json.string("variation_name", definition.variationTexts[variation])
        }
        json.endObject()
        return json.text
    }

    static func host(of url: String) -> String {
        let parts = url.split(separator: "/", omittingEmptySubsequences: true)
        // "https:", "host", "path"…: the host is the part after the scheme.
        var host = parts.count > 1 && parts[0].hasSuffix(":") ? parts[1] : parts.first ?? ""
        if host.hasPrefix("www.") { host = host.dropFirst(4) }
        return String(host)
    }

    mutating func emit(
        _ kind: DemoEvent.Kind, _ name: String?, page: DemoPage, visit: VisitContext, properties: String?,
        variation: Int? = nil
    ) {
        let person = visit.person
        let messageID = random.uuidString()
        let timestamp = Timestamp(unixMicroseconds: visit.time / 1000 * 1000)
        let url = "https://\(site.host)\(page.path)\(visit.search)"
        var json = JSONWriter(capacity: 900)
        json.beginObject()
        json.string("type", kind.rawValue)
        json.string("messageId", messageID)
        json.string("anonymousId", person.anonymousID)
        if let userID = person.userID { json.string("userId", userID) }
        switch kind {
        case .page:
            json.string("name", page.title)
            json.beginObject("properties")
            json.string("path", page.path)
            json.string("title", page.title)
            json.string("url", url)
            if let referrer = visit.referrer { json.string("referrer", referrer) }
            json.endObject()
        case .track:
            json.string("event", name ?? "")
            json.rawJSON("properties", properties ?? "{}")
        }
        json.beginObject("context")
        json.beginObject("library")
        json.string("name", "analytics.js")
        json.string("version", "next-1.72.0")
        json.endObject()
        json.string("locale", person.country.locale)
        json.string("timezone", person.country.timezone)
        json.string("userAgent", person.agent.text)
        json.beginObject("location")
        json.string("country", person.country.code)
        json.endObject()
        json.beginObject("page")
        json.string("path", page.path)
        if let referrer = visit.referrer { json.string("referrer", referrer) }
        if !visit.search.isEmpty { json.string("search", visit.search) }
        json.string("title", page.title)
        json.string("url", url)
        json.endObject()
        if let campaign = visit.campaign {
            json.beginObject("campaign")
            json.string("source", campaign.source)
            json.string("medium", campaign.medium)
            json.string("name", campaign.name)
            json.endObject()
        }
        json.endObject()
        json.string("timestamp", timestamp.iso8601(fractionDigits: 3))
        json.endObject()
        events.append(
            DemoEvent(
                kind: kind, name: kind == .page ? nil : name, messageID: messageID, personID: person.personID,
                timestamp: timestamp, path: page.path, referrerHost: visit.referrerHost, campaign: visit.campaign,
                country: person.country.code, browser: person.agent.browser, deviceType: person.agent.deviceType,
                variation: variation, json: json.utf8
            )
        )
    }
}

/// Where a visit is: who, when, and how they arrived (the referrer changes as they move through the site).
private struct VisitContext {
    let person: DemoPerson
    /// The latest event's time, Unix microseconds.
    var time: Int64
    var referrer: String?
    /// The external referrer's host, kept for the whole visit.
    var referrerHost: String?
    var campaign: DemoCampaign?
    /// The current page's query string, with its `?`, or empty.
    var search = ""

    init(person: DemoPerson, time: Int64) {
        self.person = person
        self.time = time
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
