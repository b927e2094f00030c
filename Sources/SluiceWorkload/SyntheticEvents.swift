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

    /// Returns the next `count` rows of the stream as late events: their timestamps lie back in the
    /// generator's days as always, but they all arrive now, `receivedAt` being `arrival` (a mobile app sending
    /// what it kept offline, a backfill).
    public mutating func lateRows(_ count: Int, arrival: Timestamp) -> [EventRow] {
        var rows = rows(count)
        for index in rows.indices { rows[index].receivedAt = max(arrival, rows[index].timestamp) }
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
