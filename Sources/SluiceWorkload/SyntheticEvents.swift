// SluiceWorkload: realistic synthetic analytics events for benchmarks and load tests.

import SluiceCore

/// A deterministic source of realistic `analytics.events` rows, for benchmarks and load tests.
///
/// The same `projectID`, `seed`, `days`, `users` and `now` always produce the same rows, on every platform.
/// Rows come from simulated visits: a pool of users (every one with an `anonymousId`, about a third also
/// with a `userId`), each visit landing on a page from a search engine, a social site, a campaign or
/// directly, then moving through the site with `page`, `track` and the occasional `identify`, `group`,
/// `alias` or app `screen` call. The mix is about 60% `page`, 30% `track`, 7% `identify` and 3% the rest;
/// a few percent of rows come from crawlers (`isBot`), a few `track` calls from a server library (no
/// `anonymousId`, no browser context). Timestamps spread over the last `days` days before `now`, denser
/// in each user's local daytime, and are never after `now`; `receivedAt` follows a few milliseconds to
/// seconds later. The JSON columns hold valid JSON object text of about 470 bytes a row together, with
/// non-ASCII text, quotes and backslashes here and there so encoders meet escaping.
///
/// Generation is fast enough to prepare a million rows ahead of a benchmark in a few seconds (release).
/// A value type: copy it to fork the stream.
public struct SyntheticEvents: Sendable {
    public let projectID: Int64
    public let now: Timestamp
    public let days: Int

    private var random: Xoshiro256StarStar
    private let users: [SyntheticUser]
    private let companies: [Company]
    /// Visits in progress; each call to ``next()`` continues one of them, and a finished visit is replaced
    /// by a new one, so sessions interleave as they do in a real event stream.
    private var visits: [Visit] = []
    /// Site pages, built once from the seed.
    private let pages: Catalog

    /// Visits open at once; their events interleave in the output.
    private static let concurrentVisits = 64
    /// The latest a visit may start before `now`, so that its events (at most ~40 minutes) end before `now`.
    private static let visitHeadroom: Int64 = 45 * 60 * 1_000_000

    /// Creates a generator.
    ///
    /// - Parameters:
    ///   - projectID: the `project_id` of every row.
    ///   - seed: the stream's seed; equal seeds give equal rows.
    ///   - days: the span, in days before `now`, that timestamps fall in; at least 1.
    ///   - users: the number of distinct people (visitors) in the pool; at least 1.
    ///   - now: the end of the span; no timestamp is later.
    public init(projectID: Int64, seed: UInt64, days: Int = 7, users: Int = 3_000, now: Timestamp) {
        precondition(days >= 1, "days must be at least 1")
        precondition(users >= 1, "users must be at least 1")
        self.projectID = projectID
        self.now = now
        self.days = days
        var random = Xoshiro256StarStar(seed: seed)
        let companies = (0..<max(8, users / 25)).map { Company(number: $0, using: &random) }
        self.companies = companies
        self.pages = Catalog(using: &random)
        self.users = (0..<users).map { _ in SyntheticUser(companies: companies.count, now: now, using: &random) }
        self.random = random
        visits.reserveCapacity(Self.concurrentVisits)
        for _ in 0..<Self.concurrentVisits {
            visits.append(startVisit())
        }
    }

    /// Returns the next row of the stream.
    public mutating func next() -> EventRow {
        let slot = random.below(visits.count)
        var visit = visits[slot]
        let row = makeRow(&visit)
        visit.remaining -= 1
        visits[slot] = visit.remaining > 0 ? visit : startVisit()
        return row
    }

    /// Returns the next `count` rows of the stream.
    public mutating func rows(_ count: Int) -> [EventRow] {
        var rows: [EventRow] = []
        rows.reserveCapacity(count)
        for _ in 0..<count {
            rows.append(next())
        }
        return rows
    }

    /// The mean UTF-8 size in bytes of `properties`, `traits` and `context` together, per row; 0 for no rows.
    public static func averageJSONBytes(of rows: [EventRow]) -> Double {
        guard !rows.isEmpty else { return 0 }
        var total = 0
        for row in rows {
            total += row.properties?.utf8.count ?? 0
            total += row.traits?.utf8.count ?? 0
            total += row.context?.utf8.count ?? 0
        }
        return Double(total) / Double(rows.count)
    }

    // MARK: - Visits

    private mutating func startVisit() -> Visit {
        let userIndex = random.below(users.count)
        let user = users[userIndex]
        let country = user.country
        let span = Int64(days) * 86_400_000_000 - Self.visitHeadroom
        // Rejection sampling against the user's local hour: fewer visits at night, a peak in the afternoon.
        var start: Int64
        repeat {
            start = now.unixMicroseconds - Self.visitHeadroom - random.below(span)
            let localHour = Int(((start / 3_600_000_000) + Int64(country.utcOffsetHours)) % 24 + 24) % 24
            if random.below(100) < Pools.hourlyActivity[localHour] { break }
        } while true

        let agent = user.agent
        var visit = Visit(
            user: userIndex, time: start, remaining: 1, page: pages.landingPage(using: &random),
            search: "", referrer: nil, referrerHost: nil, campaign: nil, isFirst: true,
            loggedIn: user.userID != nil && random.chance(0.85)
        )
        if agent.isBot {
            visit.remaining = 3 + random.below(12)
            visit.loggedIn = false
            return visit
        }
        // About 45% of visits bounce; the rest see a few events more.
        if !random.chance(0.45) {
            visit.remaining = 2 + random.geometric(continuing: 0.8, limit: 10)
        }
        // Where the visitor came from: a campaign link, another site, or nowhere (typed, bookmarked, app).
        if random.chance(0.12) {
            let campaign = Pools.campaigns.pick(using: &random)
            visit.campaign = campaign
            visit.search = campaign.query
            if let source = campaign.referrer {
                visit.referrer = source.url
                visit.referrerHost = source.host
            }
        } else if random.chance(0.55) {
            let source = Pools.referrers.pick(using: &random)
            visit.referrer = source.url
            visit.referrerHost = source.host
        }
        return visit
    }

    private mutating func makeRow(_ visit: inout Visit) -> EventRow {
        let user = users[visit.user]
        let agent = user.agent

        // The first event of a visit is its landing page; later ones follow the weights, tuned so that the
        // overall mix, landing pages included, comes out near 60/30/7/3.
        let type: EventType
        if visit.isFirst || agent.isBot {
            type = .page
        } else {
            type = Pools.laterEventTypes.pick(using: &random)
        }
        if !visit.isFirst {
            visit.time += agent.isBot ? 500_000 + random.below(4_000_000) : 2_000_000 + random.below(150_000_000)
            if type == .page {
                // An internal navigation, and the campaign ends. A full page load makes the previous page the
                // referrer; a single-page app's route change keeps `document.referrer`, the landing referrer.
                if random.chance(0.5) {
                    visit.referrer = Pools.siteOrigin + visit.page.path + visit.search
                    visit.referrerHost = Pools.siteHost
                }
                visit.page = pages.nextPage(using: &random)
                visit.search = ""
                visit.campaign = nil
            }
        }
        visit.isFirst = false

        let timestamp = visit.time + random.below(1_000_000)
        // Network and queueing delay: mostly tens to hundreds of milliseconds, now and then seconds.
        let unit = Double(random.below(1 << 20)) / Double(1 << 20)
        let latency = 5_000 + Int64(unit * unit * unit * unit * 6_000_000)
        let sentAt: Timestamp? =
            random.chance(0.92) ? Timestamp(unixMicroseconds: timestamp + random.below(latency)) : nil

        var row = EventRow(
            projectID: projectID, messageID: random.uuidString(), type: type,
            anonymousID: user.anonymousID,
            timestamp: Timestamp(unixMicroseconds: timestamp),
            receivedAt: Timestamp(unixMicroseconds: timestamp + latency), sentAt: sentAt,
            country: user.country.code, isBot: agent.isBot, ip: user.ip
        )
        if visit.loggedIn { row.userID = user.userID }

        switch type {
        case .page:
            row.event = visit.page.name
            row.properties = pageProperties(visit)
        case .track:
            let event = Pools.trackEvents.pick(using: &random)
            row.event = event.name
            row.properties = trackProperties(event.kind, user: user)
            // A few business events are sent by the backend instead, with only the userId.
            if visit.loggedIn && random.chance(0.08) {
                row.anonymousID = nil
                row.ip = nil
                row.country = nil
                row.isBot = false
                row.context = serverContext()
                return row
            }
        case .identify:
            row.traits = identifyTraits(user)
            if user.userID != nil { row.userID = user.userID }
        case .screen:
            return screenRow(row, user: user)
        case .group:
            row.groupID = companies[user.company].id
            row.traits = groupTraits(companies[user.company])
        case .alias:
            row.previousID = user.anonymousID
            row.userID = user.userID ?? random.userIDString()
        }

        row.pagePath = visit.page.path
        row.referrerHost = visit.referrerHost
        if let campaign = visit.campaign {
            row.utmSource = campaign.source
            row.utmMedium = campaign.medium
            row.utmCampaign = campaign.name
            row.utmTerm = campaign.term
            row.utmContent = campaign.content
        }
        row.browser = agent.browser
        row.os = agent.os
        row.deviceType = agent.deviceType
        row.context = browserContext(visit, user: user, agent: agent)
        return row
    }

    /// A `screen` call from the mobile app: app, device and OS context instead of a page and user agent.
    private mutating func screenRow(_ row: EventRow, user: SyntheticUser) -> EventRow {
        var row = row
        let screen = Pools.appScreens[random.below(Pools.appScreens.count)]
        let android = user.agent.os == "Android"
        row.event = screen
        row.os = android ? "Android" : "iOS"
        row.deviceType = "mobile"
        row.isBot = false

        var json = JSONWriter(capacity: 64)
        json.beginObject()
        json.string("name", screen)
        if random.chance(0.3) { json.int("load_time_ms", 80 + random.below(900)) }
        json.endObject()
        row.properties = json.text

        var context = JSONWriter(capacity: 448)
        context.beginObject()
        context.beginObject("app")
        context.string("name", "Example")
        context.string("version", android ? "3.14.1" : "3.14.2")
        context.string("build", android ? "31401" : "1127")
        context.endObject()
        context.beginObject("device")
        context.string("manufacturer", android ? "samsung" : "Apple")
        context.string("model", android ? "SM-S918B" : "iPhone15,2")
        context.string("type", android ? "android" : "ios")
        context.endObject()
        context.beginObject("library")
        context.string("name", android ? "analytics-kotlin" : "analytics-swift")
        context.string("version", android ? "1.16.3" : "1.6.2")
        context.endObject()
        context.string("locale", user.country.locale)
        context.beginObject("network")
        context.bool("wifi", random.chance(0.6))
        context.endObject()
        context.beginObject("os")
        context.string("name", android ? "Android" : "iOS")
        context.string("version", android ? "14" : "18.1")
        context.endObject()
        context.beginObject("screen")
        context.int("width", android ? 1080 : 1179)
        context.int("height", android ? 2340 : 2556)
        context.endObject()
        context.string("timezone", user.country.timezone)
        context.endObject()
        row.context = context.text
        return row
    }

    // MARK: - JSON columns

    private mutating func browserContext(_ visit: Visit, user: SyntheticUser, agent: UserAgent) -> String {
        let country = user.country
        var json = JSONWriter(capacity: 512)
        json.beginObject()
        json.beginObject("library")
        json.string("name", "analytics.js")
        json.string("version", "next-1.72.0")
        json.endObject()
        json.string("locale", country.locale)
        json.string("userAgent", agent.text)
        json.beginObject("page")
        json.string("path", visit.page.path)
        // Empty `referrer` and `search` are left out, as several SDKs do, which keeps rows near their typical size.
        if let referrer = visit.referrer { json.string("referrer", referrer) }
        if !visit.search.isEmpty { json.string("search", visit.search) }
        json.string("title", visit.page.title)
        json.string("url", Pools.siteOrigin, visit.page.path, visit.search)
        json.endObject()
        if let campaign = visit.campaign {
            json.beginObject("campaign")
            json.string("name", campaign.name)
            json.string("source", campaign.source)
            json.string("medium", campaign.medium)
            if let term = campaign.term { json.string("term", term) }
            if let content = campaign.content { json.string("content", content) }
            json.endObject()
        }
        let screen = agent.screens[random.below(agent.screens.count)]
        json.beginObject("screen")
        json.int("width", screen.width)
        json.int("height", screen.height)
        json.endObject()
        json.string("timezone", country.timezone)
        json.endObject()
        return json.text
    }

    private func serverContext() -> String {
        #"{"library":{"name":"analytics-python","version":"2.3.3"}}"#
    }

    private func pageProperties(_ visit: Visit) -> String {
        var json = JSONWriter(capacity: 96)
        json.beginObject()
        if let category = visit.page.category { json.string("category", category) }
        json.endObject()
        return json.text
    }

    private mutating func trackProperties(_ kind: TrackKind, user: SyntheticUser) -> String {
        var json = JSONWriter(capacity: 256)
        json.beginObject()
        switch kind {
        case .productViewed, .productAdded:
            let product = pages.products[random.below(pages.products.count)]
            json.string("product_id", product.id)
            json.string("sku", product.sku)
            json.string("category", product.category)
            json.string("name", product.name)
            json.string("brand", product.brand)
            json.decimal("price", cents: product.cents)
            json.string("currency", "USD")
            if kind == .productAdded {
                json.int("quantity", 1 + random.below(3))
                json.string("cart_id", random.hexString(count: 16))
            } else {
                json.int("position", 1 + random.below(24))
            }
        case .productsSearched:
            json.string("query", Pools.searchQueries[random.below(Pools.searchQueries.count)])
        case .checkoutStarted, .orderCompleted:
            json.string("order_id", "ord_" + random.hexString(count: 12))
            let count = 1 + random.geometric(continuing: 0.35, limit: 3)
            var subtotal = 0
            json.beginArray("products")
            for _ in 0..<count {
                let product = pages.products[random.below(pages.products.count)]
                let quantity = random.chance(0.8) ? 1 : 2
                subtotal += product.cents * quantity
                json.beginObject()
                json.string("product_id", product.id)
                json.string("name", product.name)
                json.decimal("price", cents: product.cents)
                json.int("quantity", quantity)
                json.endObject()
            }
            json.endArray()
            let shipping = subtotal > 5_000 ? 0 : 499
            let tax = subtotal * 8 / 100
            json.decimal("revenue", cents: subtotal)
            json.decimal("shipping", cents: shipping)
            json.decimal("tax", cents: tax)
            json.decimal("total", cents: subtotal + shipping + tax)
            json.string("currency", "USD")
            if kind == .orderCompleted && random.chance(0.2) { json.string("coupon", "SPRING25") }
        case .signedUp, .signedIn:
            json.string("method", Pools.signInMethods[random.below(Pools.signInMethods.count)])
            if kind == .signedUp { json.string("plan", Pools.plans[user.plan]) }
        case .experimentViewed:
            let experiment = Pools.experiments[random.below(Pools.experiments.count)]
            let variation = random.below(experiment.variations.count)
            json.string("experiment_id", experiment.id)
            json.string("experiment_name", experiment.name)
            json.int("variation_id", variation)
            json.string("variation_name", experiment.variations[variation])
        case .buttonClicked:
            let button = Pools.buttons[random.below(Pools.buttons.count)]
            json.string("button_id", button.id)
            json.string("label", button.label)
            json.string("location", button.location)
        case .formSubmitted:
            let form = Pools.forms[random.below(Pools.forms.count)]
            json.string("form_id", form.id)
            json.string("form_name", form.name)
            json.int("field_count", form.fields)
        case .videoPlayed:
            let video = Pools.videos[random.below(Pools.videos.count)]
            json.string("video_id", video.id)
            json.string("title", video.title)
            json.int("total_length", video.seconds)
            json.int("position", random.below(video.seconds))
            json.string("quality", random.chance(0.7) ? "1080p" : "720p")
        case .trialStarted:
            json.string("plan", Pools.plans[1 + random.below(Pools.plans.count - 1)])
            json.int("trial_days", 14)
        }
        json.endObject()
        return json.text
    }

    private func identifyTraits(_ user: SyntheticUser) -> String {
        var json = JSONWriter(capacity: 256)
        json.beginObject()
        json.string("email", user.email)
        json.string("name", user.firstName, " ", user.lastName)
        json.string("first_name", user.firstName)
        json.string("last_name", user.lastName)
        if user.userID != nil {
            json.string("plan", Pools.plans[user.plan])
            json.string("company", companies[user.company].name)
            json.string("created_at", user.createdAt)
            json.int("logins", user.logins)
        }
        json.endObject()
        return json.text
    }

    private func groupTraits(_ company: Company) -> String {
        var json = JSONWriter(capacity: 160)
        json.beginObject()
        json.string("name", company.name)
        json.string("industry", company.industry)
        json.int("employees", company.employees)
        json.string("plan", company.plan)
        json.string("website", company.website)
        json.endObject()
        return json.text
    }
}

// MARK: - Random numbers

/// xoshiro256** (Blackman and Vigna), seeded through SplitMix64 as its authors recommend: small, fast and of
/// good statistical quality, and identical on every platform, unlike `SystemRandomNumberGenerator`.
struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    init(seed: UInt64) {
        var splitMix = seed
        func nextSplitMix() -> UInt64 {
            splitMix &+= 0x9E37_79B9_7F4A_7C15
            var z = splitMix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = nextSplitMix()
        s1 = nextSplitMix()
        s2 = nextSplitMix()
        s3 = nextSplitMix()
    }

    mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// A number in `0..<bound` (Lemire's multiply-shift; the bias, below 2⁻⁴⁰ for our bounds, does not matter
    /// here, and skipping the rejection step keeps the stream simple to reason about).
    mutating func below(_ bound: Int) -> Int {
        Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    mutating func below(_ bound: Int64) -> Int64 {
        Int64(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// True with probability `probability`.
    mutating func chance(_ probability: Double) -> Bool {
        Double(next() >> 11) * 0x1p-53 < probability
    }

    /// How many times a coin with `continuing` odds comes up in a row, at most `limit`.
    mutating func geometric(continuing: Double, limit: Int) -> Int {
        var count = 0
        while count < limit && chance(continuing) { count += 1 }
        return count
    }

    /// A random version 4 UUID in its lowercase 36-character text form.
    mutating func uuidString() -> String {
        let high = next() & 0xFFFF_FFFF_FFFF_0FFF | 0x0000_0000_0000_4000
        let low = next() & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000
        return String(unsafeUninitializedCapacity: 36) { buffer in
            var index = 0
            func put(_ value: UInt64, nibbles: Int) {
                for shift in stride(from: (nibbles - 1) * 4, through: 0, by: -4) {
                    buffer[index] = hexDigits[Int((value >> UInt64(shift)) & 0xF)]
                    index += 1
                }
            }
            put(high >> 32, nibbles: 8)
            buffer[index] = UInt8(ascii: "-")
            index += 1
            put(high >> 16, nibbles: 4)
            buffer[index] = UInt8(ascii: "-")
            index += 1
            put(high, nibbles: 4)
            buffer[index] = UInt8(ascii: "-")
            index += 1
            put(low >> 48, nibbles: 4)
            buffer[index] = UInt8(ascii: "-")
            index += 1
            put(low, nibbles: 12)
            return index
        }
    }

    /// `count` random lowercase hexadecimal digits (at most 16).
    mutating func hexString(count: Int) -> String {
        let value = next()
        return String(unsafeUninitializedCapacity: count) { buffer in
            for index in 0..<count {
                buffer[index] = hexDigits[Int((value >> UInt64(index * 4)) & 0xF)]
            }
            return count
        }
    }

    /// An application user id such as `usr_4k2j9x0q1m`.
    mutating func userIDString() -> String {
        let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)
        var value = next()
        return "usr_"
            + String(unsafeUninitializedCapacity: 10) { buffer in
                for index in 0..<10 {
                    buffer[index] = alphabet[Int(value % 36)]
                    value /= 36
                }
                return 10
            }
    }
}

private let hexDigits = Array("0123456789abcdef".utf8)

/// A fixed list of choices with integer weights, picked in proportion to them.
struct WeightedTable<Element: Sendable>: Sendable {
    let elements: [Element]
    private let cumulative: [Int]

    init(_ entries: [(Element, Int)]) {
        elements = entries.map(\.0)
        var total = 0
        cumulative = entries.map {
            total += $0.1
            return total
        }
    }

    func pick(using random: inout Xoshiro256StarStar) -> Element {
        let target = random.below(cumulative[cumulative.count - 1])
        var index = 0
        while cumulative[index] <= target { index += 1 }
        return elements[index]
    }
}

// MARK: - JSON text

/// Writes JSON text into a byte buffer, escaping strings per RFC 8259.
///
/// Much faster than building dictionaries for `JSONSerialization` (generation speed matters: benchmarks
/// prepare a million rows ahead), and keys keep the order they are written in. Keys are literals and are
/// written as they are, so they must not need escaping; values are always escaped. The caller balances the
/// `begin…`/`end…` calls; nothing is checked.
struct JSONWriter {
    private var bytes: [UInt8]
    private var needsComma = false

    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// The JSON text written so far.
    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// An object as an array element or the top-level value.
    mutating func beginObject() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    mutating func beginObject(_ key: StaticString) {
        appendKey(key)
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    mutating func beginArray(_ key: StaticString) {
        appendKey(key)
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    mutating func string(_ key: StaticString, _ value: String) {
        appendKey(key)
        bytes.append(UInt8(ascii: "\""))
        appendEscaped(value)
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    /// One string value made of three parts, e.g. a URL from origin, path and query, without concatenating them.
    mutating func string(_ key: StaticString, _ first: String, _ second: String, _ third: String) {
        appendKey(key)
        bytes.append(UInt8(ascii: "\""))
        appendEscaped(first)
        appendEscaped(second)
        appendEscaped(third)
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    mutating func int(_ key: StaticString, _ value: Int) {
        appendKey(key)
        appendDigits(value)
        needsComma = true
    }

    /// A non-negative amount of money as a JSON number with two decimals, e.g. `19.90`.
    mutating func decimal(_ key: StaticString, cents: Int) {
        appendKey(key)
        appendDigits(cents / 100)
        bytes.append(UInt8(ascii: "."))
        bytes.append(UInt8(ascii: "0") + UInt8(cents % 100 / 10))
        bytes.append(UInt8(ascii: "0") + UInt8(cents % 10))
        needsComma = true
    }

    mutating func bool(_ key: StaticString, _ value: Bool) {
        appendKey(key)
        if value {
            bytes.append(contentsOf: [UInt8(ascii: "t"), UInt8(ascii: "r"), UInt8(ascii: "u"), UInt8(ascii: "e")])
        } else {
            bytes.append(contentsOf: [
                UInt8(ascii: "f"), UInt8(ascii: "a"), UInt8(ascii: "l"), UInt8(ascii: "s"), UInt8(ascii: "e"),
            ])
        }
        needsComma = true
    }

    private mutating func appendKey(_ key: StaticString) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    private mutating func appendDigits(_ value: Int) {
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
        }
        var magnitude = value.magnitude
        let start = bytes.count
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes[start...].reverse()
    }

    /// Appends `value`'s UTF-8 with quotes, backslashes and control characters escaped; everything else,
    /// non-ASCII text included, is copied as it is, in runs.
    private mutating func appendEscaped(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            var runStart = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                runStart = index + 1
                bytes.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
                case UInt8(ascii: "\n"): bytes.append(UInt8(ascii: "n"))
                case UInt8(ascii: "\r"): bytes.append(UInt8(ascii: "r"))
                case UInt8(ascii: "\t"): bytes.append(UInt8(ascii: "t"))
                default:
                    bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                    bytes.append(hexDigits[Int(byte >> 4)])
                    bytes.append(hexDigits[Int(byte & 0xF)])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
        }
    }
}

// MARK: - The simulated world

/// A visit in progress: who, when, where on the site, and how they arrived.
private struct Visit: Sendable {
    var user: Int
    /// The time of the latest event, Unix microseconds.
    var time: Int64
    /// Events still to come in this visit, this one included.
    var remaining: Int
    var page: SitePage
    /// The query string of the current page's URL, with its `?`, or empty.
    var search: String
    var referrer: String?
    var referrerHost: String?
    var campaign: Campaign?
    var isFirst: Bool
    var loggedIn: Bool
}

// The world's fixed parts are immutable final classes rather than structs: a row reads a dozen of their strings,
// and sharing one reference costs one retain where copying a struct out of an array retains every field
// (measured: about a third of the generation time went to retain/release before).

/// One person in the pool, with everything that stays the same across their visits.
private final class SyntheticUser: Sendable {
    let anonymousID: String
    /// Set for people who have an account.
    let userID: String?
    let firstName: String
    let lastName: String
    let email: String
    let agent: UserAgent
    let country: Country
    let ip: InetAddress
    let company: Int
    let plan: Int
    let createdAt: String
    let logins: Int

    init(companies: Int, now: Timestamp, using random: inout Xoshiro256StarStar) {
        agent = Pools.userAgents[Pools.userAgentTable.pick(using: &random)]
        country = Pools.countries[agent.isBot ? 0 : Pools.countryTable.pick(using: &random)]
        firstName = Pools.firstNames[random.below(Pools.firstNames.count)]
        lastName = Pools.lastNames[random.below(Pools.lastNames.count)]
        let emailName = Pools.asciiFold(firstName) + "." + Pools.asciiFold(lastName)
        let domain = Pools.emailDomains[random.below(Pools.emailDomains.count)]
        let created = now.unixMicroseconds - 86_400_000_000 - random.below(Int64(900) * 86_400_000_000)
        anonymousID = random.uuidString()
        userID = !agent.isBot && random.chance(0.35) ? random.userIDString() : nil
        email = emailName + String(random.below(100)) + "@" + domain
        ip = Pools.address(bot: agent.isBot ? agent.browser : nil, using: &random)
        company = random.below(companies)
        plan = Pools.planTable.pick(using: &random)
        createdAt = ISO8601.format(unixMicroseconds: created)
        logins = 1 + random.geometric(continuing: 0.93, limit: 400)
    }
}

private final class Company: Sendable {
    let id: String
    let name: String
    let industry: String
    let employees: Int
    let plan: String
    let website: String

    init(number: Int, using random: inout Xoshiro256StarStar) {
        let first = Pools.companyWords[random.below(Pools.companyWords.count)]
        let second = Pools.companySuffixes[random.below(Pools.companySuffixes.count)]
        id = "grp_" + String(10_000 + number)
        name = first + " " + second
        industry = Pools.industries[random.below(Pools.industries.count)]
        employees = 2 + random.geometric(continuing: 0.97, limit: 5_000) * 3
        plan = Pools.plans[1 + random.below(Pools.plans.count - 1)]
        website = "https://" + Pools.asciiFold(first).lowercased() + ".example"
    }
}

private final class SitePage: Sendable {
    let path: String
    let title: String
    /// The `page` call's name when the site names it (about a third of pages).
    let name: String?
    let category: String?

    init(path: String, title: String, name: String? = nil, category: String? = nil) {
        self.path = path
        self.title = title
        self.name = name
        self.category = category
    }
}

private final class Product: Sendable {
    let id: String
    let sku: String
    let name: String
    let brand: String
    let category: String
    let cents: Int

    init(id: String, sku: String, name: String, brand: String, category: String, cents: Int) {
        self.id = id
        self.sku = sku
        self.name = name
        self.brand = brand
        self.category = category
        self.cents = cents
    }
}

/// The simulated site: its pages and shop, generated once from the seed.
private struct Catalog: Sendable {
    let fixed: WeightedTable<SitePage>
    let blog: [SitePage]
    let docs: [SitePage]
    let products: [Product]
    let productPages: [SitePage]

    init(using random: inout Xoshiro256StarStar) {
        fixed = WeightedTable([
            (SitePage(path: "/", title: "Example — Product analytics for PostgreSQL", name: "Home"), 40),
            (SitePage(path: "/pricing", title: "Pricing | Example", name: "Pricing"), 14),
            (SitePage(path: "/features", title: "Features | Example", name: "Features"), 6),
            (SitePage(path: "/signup", title: "Create your account | Example", name: "Sign Up"), 5),
            (SitePage(path: "/login", title: "Log in | Example", name: "Log In"), 7),
            (SitePage(path: "/blog", title: "Blog | Example", category: "Blog"), 4),
            (SitePage(path: "/docs", title: "Documentation | Example", category: "Docs"), 5),
            (SitePage(path: "/about", title: "About us | Example"), 2),
            (SitePage(path: "/careers", title: "Careers | Example"), 1),
            (SitePage(path: "/changelog", title: "Changelog | Example"), 2),
            (SitePage(path: "/contact", title: "Contact sales | Example"), 2),
            (SitePage(path: "/integrations/segment", title: "Segment integration | Example"), 2),
            (SitePage(path: "/app/dashboard", title: "Dashboard · Example", name: "Dashboard"), 8),
            (SitePage(path: "/app/settings/billing", title: "Billing · Example", name: "Billing"), 2),
        ])
        var blog: [SitePage] = []
        for _ in 0..<160 {
            var words: [String] = []
            for _ in 0..<(2 + random.below(2)) {
                words.append(Pools.slugWords[random.below(Pools.slugWords.count)])
            }
            let slug = words.joined(separator: "-")
            var title = words.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " ")
            if random.chance(0.1) { title = "\"" + title + "\" — a retrospective" }
            blog.append(SitePage(path: "/blog/" + slug, title: title, category: "Blog"))
        }
        self.blog = blog
        var docs: [SitePage] = []
        for section in Pools.docSections {
            for topic in Pools.docTopics where random.chance(0.5) {
                docs.append(
                    SitePage(
                        path: "/docs/" + section + "/" + topic.slug, title: topic.title + " · Docs",
                        category: "Docs"
                    )
                )
            }
        }
        self.docs = docs
        var products: [Product] = []
        for number in 0..<400 {
            let name =
                Pools.productAdjectives[random.below(Pools.productAdjectives.count)] + " "
                + Pools.productNouns[random.below(Pools.productNouns.count)]
            let id = String(100 + number * 7 + random.below(7))
            products.append(
                Product(
                    id: id, sku: "SKU-" + random.hexString(count: 6).uppercased(), name: name,
                    brand: Pools.brands[random.below(Pools.brands.count)],
                    category: Pools.productCategories[random.below(Pools.productCategories.count)],
                    cents: 499 + random.below(40) * 250 + (random.chance(0.5) ? 99 : 0)
                )
            )
        }
        self.products = products
        productPages = products.map {
            SitePage(path: "/products/" + $0.id, title: $0.name, category: $0.category)
        }
    }

    /// Where a visit starts: the home page and pricing often, articles and docs from search, products from ads.
    func landingPage(using random: inout Xoshiro256StarStar) -> SitePage {
        switch random.below(100) {
        case 0..<40: fixed.pick(using: &random)
        case 40..<65: blog[random.below(blog.count)]
        case 65..<85: docs[random.below(docs.count)]
        default: productPages[random.below(productPages.count)]
        }
    }

    /// The next page of a visit.
    func nextPage(using random: inout Xoshiro256StarStar) -> SitePage {
        switch random.below(100) {
        case 0..<45: fixed.pick(using: &random)
        case 45..<60: blog[random.below(blog.count)]
        case 60..<80: docs[random.below(docs.count)]
        default: productPages[random.below(productPages.count)]
        }
    }
}

private final class UserAgent: Sendable {
    let text: String
    let browser: String
    let os: String?
    let deviceType: String
    let isBot: Bool
    let screens: [Screen]

    init(text: String, browser: String, os: String?, deviceType: String, isBot: Bool = false, screens: [Screen]) {
        self.text = text
        self.browser = browser
        self.os = os
        self.deviceType = deviceType
        self.isBot = isBot
        self.screens = screens
    }
}

private struct Screen: Sendable {
    var width: Int
    var height: Int
}

private final class Country: Sendable {
    let code: String
    let locale: String
    let timezone: String
    let utcOffsetHours: Int

    init(code: String, locale: String, timezone: String, utcOffsetHours: Int) {
        self.code = code
        self.locale = locale
        self.timezone = timezone
        self.utcOffsetHours = utcOffsetHours
    }
}

/// Where a visit came from: the full referrer URL and the host the ingest extracts from it (`www.` dropped).
private struct Referrer: Sendable {
    var url: String
    var host: String
}

private final class Campaign: Sendable {
    let name: String
    let source: String
    let medium: String
    let term: String?
    let content: String?
    /// The landing URL's query string, `?utm_source=…`.
    let query: String
    let referrer: Referrer?

    init(
        name: String, source: String, medium: String, term: String? = nil, content: String? = nil,
        referrer: Referrer? = nil
    ) {
        self.name = name
        self.source = source
        self.medium = medium
        self.term = term
        self.content = content
        self.referrer = referrer
        var query = "?utm_source=" + source + "&utm_medium=" + medium + "&utm_campaign=" + name
        if let term { query += "&utm_term=" + term.replacingSpaces() }
        if let content { query += "&utm_content=" + content }
        self.query = query
    }
}

extension String {
    fileprivate func replacingSpaces() -> String {
        String(decoding: utf8.map { $0 == UInt8(ascii: " ") ? UInt8(ascii: "+") : $0 }, as: UTF8.self)
    }
}

private enum TrackKind: Sendable {
    case productViewed, productAdded, productsSearched, checkoutStarted, orderCompleted, signedUp, signedIn
    case experimentViewed, buttonClicked, formSubmitted, videoPlayed, trialStarted
}

private struct TrackEvent: Sendable {
    var name: String
    var kind: TrackKind
}

private struct Experiment: Sendable {
    var id: String
    var name: String
    var variations: [String]
}

/// The fixed vocabulary of the simulated world.
private enum Pools {
    static let siteHost = "example.com"
    static let siteOrigin = "https://example.com"

    /// Event types after a visit's landing page. With ~3.75 events a visit (so ~27% of rows are landing pages),
    /// these weights give about 60% page, 30% track, 7% identify and 1% each of screen, group and alias.
    static let laterEventTypes = WeightedTable<EventType>([
        (.page, 454), (.track, 409), (.identify, 96), (.screen, 14), (.group, 14), (.alias, 13),
    ])

    /// The percentage of visits kept at each local hour (0–23): quiet at night, busiest mid-afternoon.
    static let hourlyActivity = [
        12, 8, 6, 5, 5, 7, 14, 30, 55, 75, 85, 90, 88, 90, 95, 100, 95, 85, 75, 70, 65, 55, 40, 22,
    ]

    static let desktopScreens = [
        Screen(width: 1920, height: 1080), Screen(width: 1536, height: 864),
        Screen(width: 2560, height: 1440), Screen(width: 1440, height: 900),
        Screen(width: 1366, height: 768),
    ]
    static let macScreens = [
        Screen(width: 1512, height: 982), Screen(width: 1728, height: 1117),
        Screen(width: 1440, height: 900), Screen(width: 2560, height: 1440),
    ]
    static let phoneScreens = [
        Screen(width: 393, height: 852), Screen(width: 390, height: 844),
        Screen(width: 430, height: 932), Screen(width: 375, height: 667),
    ]
    static let androidScreens = [
        Screen(width: 412, height: 915), Screen(width: 360, height: 800),
        Screen(width: 384, height: 854),
    ]
    static let tabletScreens = [
        Screen(width: 820, height: 1180), Screen(width: 1024, height: 1366),
    ]

    static let userAgents: [UserAgent] = [
        UserAgent(
            text: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                + "Chrome/131.0.0.0 Safari/537.36",
            browser: "Chrome", os: "Windows", deviceType: "desktop", screens: desktopScreens
        ),
        UserAgent(
            text: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
                + "Chrome/131.0.0.0 Safari/537.36",
            browser: "Chrome", os: "Mac OS", deviceType: "desktop", screens: macScreens
        ),
        UserAgent(
            text: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
                + "Safari/537.36",
            browser: "Chrome", os: "GNU/Linux", deviceType: "desktop", screens: desktopScreens
        ),
        UserAgent(
            text: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
            browser: "Firefox", os: "Windows", deviceType: "desktop", screens: desktopScreens
        ),
        UserAgent(
            text: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0",
            browser: "Firefox", os: "Mac OS", deviceType: "desktop", screens: macScreens
        ),
        UserAgent(
            text: "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
            browser: "Firefox", os: "GNU/Linux", deviceType: "desktop", screens: desktopScreens
        ),
        UserAgent(
            text: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                + "Version/18.1 Safari/605.1.15",
            browser: "Safari", os: "Mac OS", deviceType: "desktop", screens: macScreens
        ),
        UserAgent(
            text: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                + "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            browser: "Microsoft Edge", os: "Windows", deviceType: "desktop", screens: desktopScreens
        ),
        UserAgent(
            text: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                + "Version/18.1 Mobile/15E148 Safari/604.1",
            browser: "Safari", os: "iOS", deviceType: "mobile", screens: phoneScreens
        ),
        UserAgent(
            text: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                + "CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
            browser: "Chrome", os: "iOS", deviceType: "mobile", screens: phoneScreens
        ),
        UserAgent(
            text: "Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                + "Version/18.1 Mobile/15E148 Safari/604.1",
            browser: "Safari", os: "iOS", deviceType: "tablet", screens: tabletScreens
        ),
        UserAgent(
            text: "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
                + "Mobile Safari/537.36",
            browser: "Chrome", os: "Android", deviceType: "mobile", screens: androidScreens
        ),
        UserAgent(
            text: "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
                + "SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
            browser: "Samsung Internet", os: "Android", deviceType: "mobile", screens: androidScreens
        ),
        UserAgent(
            text: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            browser: "Googlebot", os: nil, deviceType: "bot", isBot: true, screens: desktopScreens
        ),
        UserAgent(
            text: "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
            browser: "Bingbot", os: nil, deviceType: "bot", isBot: true, screens: desktopScreens
        ),
        UserAgent(
            text: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 "
                + "Safari/537.36",
            browser: "HeadlessChrome", os: "GNU/Linux", deviceType: "bot", isBot: true, screens: desktopScreens
        ),
    ]

    /// Indices into ``userAgents``, weighted roughly like a developer-tools site's traffic; ~4% crawlers.
    static let userAgentTable = WeightedTable<Int>([
        (0, 220), (1, 100), (2, 35), (3, 40), (4, 20), (5, 20), (6, 80), (7, 60), (8, 170), (9, 30), (10, 30),
        (11, 140), (12, 30), (13, 18), (14, 10), (15, 8),
    ])

    static let countries: [Country] = [
        Country(code: "US", locale: "en-US", timezone: "America/New_York", utcOffsetHours: -5),
        Country(code: "DE", locale: "de-DE", timezone: "Europe/Berlin", utcOffsetHours: 1),
        Country(code: "GB", locale: "en-GB", timezone: "Europe/London", utcOffsetHours: 0),
        Country(code: "IN", locale: "en-IN", timezone: "Asia/Kolkata", utcOffsetHours: 5),
        Country(code: "FR", locale: "fr-FR", timezone: "Europe/Paris", utcOffsetHours: 1),
        Country(code: "CA", locale: "en-CA", timezone: "America/Toronto", utcOffsetHours: -5),
        Country(code: "BR", locale: "pt-BR", timezone: "America/Sao_Paulo", utcOffsetHours: -3),
        Country(code: "NL", locale: "nl-NL", timezone: "Europe/Amsterdam", utcOffsetHours: 1),
        Country(code: "JP", locale: "ja-JP", timezone: "Asia/Tokyo", utcOffsetHours: 9),
        Country(code: "AU", locale: "en-AU", timezone: "Australia/Sydney", utcOffsetHours: 10),
        Country(code: "ES", locale: "es-ES", timezone: "Europe/Madrid", utcOffsetHours: 1),
        Country(code: "PL", locale: "pl-PL", timezone: "Europe/Warsaw", utcOffsetHours: 1),
        Country(code: "SE", locale: "sv-SE", timezone: "Europe/Stockholm", utcOffsetHours: 1),
        Country(code: "IT", locale: "it-IT", timezone: "Europe/Rome", utcOffsetHours: 1),
        Country(code: "MX", locale: "es-MX", timezone: "America/Mexico_City", utcOffsetHours: -6),
        Country(code: "KR", locale: "ko-KR", timezone: "Asia/Seoul", utcOffsetHours: 9),
        Country(code: "SG", locale: "en-SG", timezone: "Asia/Singapore", utcOffsetHours: 8),
        Country(code: "CH", locale: "de-CH", timezone: "Europe/Zurich", utcOffsetHours: 1),
        Country(code: "UA", locale: "uk-UA", timezone: "Europe/Kyiv", utcOffsetHours: 2),
        Country(code: "US", locale: "en-US", timezone: "America/Los_Angeles", utcOffsetHours: -8),
        Country(code: "US", locale: "en-US", timezone: "America/Chicago", utcOffsetHours: -6),
    ]

    /// Indices into ``countries``, weighted like a global English-language product's audience.
    static let countryTable = WeightedTable<Int>([
        (0, 140), (19, 70), (20, 50), (1, 80), (2, 70), (3, 70), (4, 50), (5, 40), (6, 40), (7, 30), (8, 30),
        (9, 30), (10, 20), (11, 20), (12, 15), (13, 20), (14, 15), (15, 15), (16, 10), (17, 10), (18, 10),
    ])

    /// External referrers, weighted: search engines first, then communities and social sites. Browsers send only
    /// the origin across sites (`strict-origin-when-cross-origin`), so that is what the URLs are.
    static let referrers = WeightedTable<Referrer>([
        (Referrer(url: "https://www.google.com/", host: "google.com"), 420),
        (Referrer(url: "https://news.ycombinator.com/", host: "news.ycombinator.com"), 60),
        (Referrer(url: "https://t.co/", host: "t.co"), 50),
        (Referrer(url: "https://www.bing.com/", host: "bing.com"), 40),
        (Referrer(url: "https://duckduckgo.com/", host: "duckduckgo.com"), 40),
        (Referrer(url: "https://www.reddit.com/", host: "reddit.com"), 35),
        (Referrer(url: "https://github.com/", host: "github.com"), 35),
        (Referrer(url: "https://www.linkedin.com/", host: "linkedin.com"), 30),
        (Referrer(url: "https://stackoverflow.com/", host: "stackoverflow.com"), 30),
        (Referrer(url: "https://chatgpt.com/", host: "chatgpt.com"), 30),
        (Referrer(url: "https://l.facebook.com/", host: "l.facebook.com"), 15),
        (Referrer(url: "https://www.producthunt.com/", host: "producthunt.com"), 10),
        (Referrer(url: "android-app://com.google.android.gm/", host: "com.google.android.gm"), 10),
        (Referrer(url: "https://www.google.de/", host: "google.de"), 25),
        (Referrer(url: "https://search.brave.com/", host: "search.brave.com"), 10),
    ])

    static let campaigns = WeightedTable<Campaign>([
        (
            Campaign(
                name: "brand_search", source: "google", medium: "cpc", term: "postgres analytics",
                referrer: Referrer(url: "https://www.google.com/", host: "google.com")
            ), 30
        ),
        (
            Campaign(
                name: "competitor_search", source: "google", medium: "cpc", term: "segment alternative",
                content: "ad_variant_b", referrer: Referrer(url: "https://www.google.com/", host: "google.com")
            ), 15
        ),
        (Campaign(name: "weekly_digest", source: "newsletter", medium: "email", content: "header_link"), 25),
        (
            Campaign(
                name: "launch_week", source: "twitter", medium: "social",
                referrer: Referrer(url: "https://t.co/", host: "t.co")
            ), 12
        ),
        (
            Campaign(
                name: "launch_week", source: "linkedin", medium: "social", content: "carousel",
                referrer: Referrer(url: "https://www.linkedin.com/", host: "linkedin.com")
            ), 8
        ),
        (Campaign(name: "spring_sale", source: "facebook", medium: "paid_social", content: "video_15s"), 10),
        (Campaign(name: "partner_webinar", source: "partner", medium: "referral"), 5),
    ])

    static let trackEvents = WeightedTable<TrackEvent>([
        (TrackEvent(name: "Product Viewed", kind: .productViewed), 200),
        (TrackEvent(name: "Button Clicked", kind: .buttonClicked), 170),
        (TrackEvent(name: "Experiment Viewed", kind: .experimentViewed), 130),
        (TrackEvent(name: "Product Added", kind: .productAdded), 80),
        (TrackEvent(name: "Products Searched", kind: .productsSearched), 80),
        (TrackEvent(name: "Signed In", kind: .signedIn), 70),
        (TrackEvent(name: "Video Played", kind: .videoPlayed), 50),
        (TrackEvent(name: "Form Submitted", kind: .formSubmitted), 50),
        (TrackEvent(name: "Checkout Started", kind: .checkoutStarted), 40),
        (TrackEvent(name: "Order Completed", kind: .orderCompleted), 30),
        (TrackEvent(name: "Signed Up", kind: .signedUp), 30),
        (TrackEvent(name: "Trial Started", kind: .trialStarted), 20),
    ])

    static let experiments = [
        Experiment(
            id: "pricing-page-copy", name: "Pricing page copy", variations: ["Control", "Value-first headline"]
        ),
        Experiment(
            id: "checkout-redesign", name: "Checkout redesign", variations: ["Control", "One-page", "Two-step"]
        ),
        Experiment(id: "onboarding-checklist", name: "Onboarding checklist", variations: ["Control", "Checklist"]),
        Experiment(id: "hero-cta-color", name: "Hero CTA colour", variations: ["Blue", "Green"]),
    ]

    static let buttons: [(id: String, label: String, location: String)] = [
        ("cta-hero", "Start free trial", "hero"), ("cta-pricing", "Get started", "pricing_table"),
        ("nav-docs", "Docs", "header"), ("copy-snippet", "Copy", "code_block"),
        ("contact-sales", "Talk to sales", "footer"), ("cookie-accept", "Accept all", "cookie_banner"),
        ("download-pdf", "Download the \"State of Analytics\" report", "blog_sidebar"),
    ]
    static let forms: [(id: String, name: String, fields: Int)] = [
        ("newsletter", "Newsletter signup", 1), ("contact-sales", "Contact sales", 6),
        ("feedback", "Was this page helpful?", 2), ("signup", "Create account", 4),
    ]
    static let videos: [(id: String, title: String, seconds: Int)] = [
        ("vid_intro", "Sluice in 90 seconds", 90), ("vid_webinar_q3", "Webinar: Funnels without ETL", 2_730),
        ("vid_tutorial_1", "Tutorial: your first dashboard", 412),
    ]
    static let searchQueries = [
        "postgres", "retention cohort", "copy binary", "\"exact phrase\" search", "café", "naïve bayes",
        "日本語", "utm_source", "C:\\Users\\export.csv", "segment track api", "bounce rate", "self-host",
        "jsonb index", "pricing", "gdpr",
    ]
    static let appScreens = ["Home", "Feed", "Search", "Product Detail", "Cart", "Settings", "Onboarding · Step 2"]
    static let signInMethods = ["email", "google", "github", "sso"]
    static let plans = ["free", "starter", "pro", "team", "enterprise"]
    static let planTable = WeightedTable<Int>([(0, 60), (1, 15), (2, 15), (3, 8), (4, 2)])

    static let firstNames = [
        "James", "Mary", "Wei", "Priya", "José", "Zoë", "Łukasz", "Søren", "Aiko", "Fatima", "Olivia", "Noah",
        "Liam", "Emma", "Mateo", "Chloé", "Björn", "Anaïs", "Ravi", "Sofia", "Hannah", "Yuki", "Omar", "Ines",
    ]
    static let lastNames = [
        "Smith", "Johnson", "García", "Müller", "O'Brien", "Nguyen", "Kowalski", "Patel", "Tanaka", "Rossi",
        "Dubois", "Jensen", "Silva", "Kim", "Brown", "Novák", "Öztürk", "van der Berg", "Haddad", "Lindqvist",
    ]
    static let emailDomains = ["gmail.com", "outlook.com", "example.org", "proton.me", "yahoo.co.jp", "icloud.com"]
    static let companyWords = [
        "Northwind", "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne", "Tyrell",
        "Soylent", "Cyberdyne", "Wonka", "Gringotts", "Oceanic", "Pied Piper", "Dunder", "Bluth", "Zürich Data",
    ]
    static let companySuffixes = ["Inc.", "GmbH", "Ltd", "Labs", "Analytics", "Systems", "& Co.", "AB"]
    static let industries = ["Software", "E-commerce", "Fintech", "Healthcare", "Media", "Education", "Logistics"]
    static let slugWords = [
        "postgres", "analytics", "events", "scaling", "partitioning", "retention", "cohorts", "funnels", "privacy",
        "how", "we", "why", "zero", "etl", "jsonb", "indexes", "copy", "throughput", "hyperloglog", "sessions",
        "dashboards", "open", "source", "migration", "guide", "lessons", "from", "million", "rows", "per", "second",
    ]
    static let docSections = ["start", "sources", "api", "guides", "hosting", "sdk"]
    static let docTopics: [(slug: String, title: String)] = [
        ("install", "Install"), ("quickstart", "Quickstart"), ("track", "track()"), ("identify", "identify()"),
        ("batch", "Batch API"), ("authentication", "Authentication"), ("rate-limits", "Rate limits"),
        ("retention", "Data retention"), ("backups", "Backups & restore"), ("docker", "Run with Docker"),
        ("kubernetes", "Kubernetes"), ("faq", "FAQ"),
    ]
    static let productAdjectives = [
        "Ergonomic", "Wireless", "Organic", "Handmade", "Vintage", "Compact", "Waterproof", "Café Crème",
        "12\" Cast-Iron", "Noise-Cancelling", "Bamboo", "Smart",
    ]
    static let productNouns = [
        "Desk Lamp", "Headphones", "Coffee Mug", "Skillet", "Backpack", "Keyboard", "Notebook", "Water Bottle",
        "Standing Desk", "Tea Set", "Monitor Arm", "Sneakers",
    ]
    static let brands = ["Northwind", "Acme", "Fjällräven-ish", "Loom & Co", "Kōgu"]
    static let productCategories = ["Home Office", "Kitchen", "Audio", "Outdoor", "Stationery", "Apparel"]

    /// ASCII lowercase letters for an e-mail local part: accents dropped, other characters skipped.
    static func asciiFold(_ name: String) -> String {
        var result = ""
        for scalar in name.lowercased().unicodeScalars {
            switch scalar {
            case "a"..."z": result.unicodeScalars.append(scalar)
            case "á", "à", "ä", "â": result += "a"
            case "é", "è", "ë", "ê": result += "e"
            case "í", "ï", "î": result += "i"
            case "ó", "ö", "ô", "ø", "ō": result += "o"
            case "ú", "ü", "û": result += "u"
            case "ł": result += "l"
            case "ç": result += "c"
            case "ñ": result += "n"
            case "š": result += "s"
            case "ž": result += "z"
            case "å": result += "aa"
            default: break
            }
        }
        return result
    }

    /// A client address after the default privacy treatment: IPv4 truncated to /24, IPv6 to /48. Crawlers come
    /// from their operators' published ranges.
    static func address(bot: String?, using random: inout Xoshiro256StarStar) -> InetAddress {
        var bytes: [UInt8]
        switch bot {
        case "Googlebot": bytes = [66, 249, UInt8(64 + random.below(32)), UInt8(random.below(256))]
        case "Bingbot": bytes = [157, 55, 39, UInt8(random.below(256))]
        case .some: bytes = [34, UInt8(random.below(256)), UInt8(random.below(256)), UInt8(random.below(256))]
        case nil where random.chance(0.18):
            bytes = (0..<16).map { _ in UInt8(random.below(256)) }
            let prefixes: [[UInt8]] = [[0x2a, 0x01], [0x26, 0x00], [0x24, 0x0e], [0x2a, 0x02], [0x28, 0x04]]
            let prefix = prefixes[random.below(prefixes.count)]
            bytes[0] = prefix[0]
            bytes[1] = prefix[1]
            return InetAddress(bytes: bytes)!.truncated(to: 48)
        case nil:
            let firstOctets: [UInt8] = [
                24, 31, 37, 45, 50, 62, 66, 73, 77, 81, 86, 91, 98, 104, 109, 122, 136, 151, 176, 185, 188, 195, 212,
            ]
            bytes = [firstOctets[random.below(firstOctets.count)]] + (0..<3).map { _ in UInt8(random.below(256)) }
        }
        return InetAddress(bytes: bytes)!.truncated(to: 24)
    }
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` text for trait timestamps, without Foundation's formatters.
private enum ISO8601 {
    static func format(unixMicroseconds: Int64) -> String {
        let millisecondsTotal = unixMicroseconds / 1_000
        var days = millisecondsTotal / 86_400_000
        var remainder = millisecondsTotal % 86_400_000
        if remainder < 0 {
            remainder += 86_400_000
            days -= 1
        }
        // Civil date from days since 1970-01-01 (Howard Hinnant's `civil_from_days`).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)

        func padded(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return padded(year, 4) + "-" + padded(month, 2) + "-" + padded(day, 2) + "T"
            + padded(remainder / 3_600_000, 2) + ":" + padded(remainder / 60_000 % 60, 2) + ":"
            + padded(remainder / 1_000 % 60, 2) + "." + padded(remainder % 1_000, 3) + "Z"
    }
}
