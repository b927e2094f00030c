import SluiceCore

// MARK: - The simulated world

/// A visit in progress: who, when, where on the site, and how they arrived.
struct Visit: Sendable {
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
final class SyntheticUser: Sendable {
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
        createdAt = Timestamp(unixMicroseconds: created).iso8601(fractionDigits: 3)
        logins = 1 + random.geometric(continuing: 0.93, limit: 400)
    }
}

final class Company: Sendable {
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

final class SitePage: Sendable {
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

final class Product: Sendable {
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
struct Catalog: Sendable {
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

package final class UserAgent: Sendable {
    package let text: String
    package let browser: String
    package let os: String?
    package let deviceType: String
    package let isBot: Bool
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

struct Screen: Sendable {
    var width: Int
    var height: Int
}

package final class Country: Sendable {
    package let code: String
    package let locale: String
    package let timezone: String
    package let utcOffsetHours: Int

    init(code: String, locale: String, timezone: String, utcOffsetHours: Int) {
        self.code = code
        self.locale = locale
        self.timezone = timezone
        self.utcOffsetHours = utcOffsetHours
    }
}

/// Where a visit came from: the full referrer URL and the host the ingest extracts from it (`www.` dropped).
package struct Referrer: Sendable {
    package var url: String
    package var host: String
}

final class Campaign: Sendable {
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

enum TrackKind: Sendable {
    case productViewed, productAdded, productsSearched, checkoutStarted, orderCompleted, signedUp, signedIn
    case experimentViewed, buttonClicked, formSubmitted, videoPlayed, trialStarted
}

struct TrackEvent: Sendable {
    var name: String
    var kind: TrackKind
}

struct Experiment: Sendable {
    var id: String
    var name: String
    var variations: [String]
}

/// The fixed vocabulary of the simulated world.
package enum Pools {
    static let siteHost = "example.com"
    static let siteOrigin = "https://example.com"

    /// Event types after a visit's landing page. With ~3.75 events a visit (so ~27% of rows are landing pages),
    /// these weights give about 60% page, 30% track, 7% identify and 1% each of screen, group and alias.
    static let laterEventTypes = WeightedTable<EventType>([
        (.page, 454), (.track, 409), (.identify, 96), (.screen, 14), (.group, 14), (.alias, 13),
    ])

    /// The percentage of visits kept at each local hour (0–23): quiet at night, busiest mid-afternoon.
    package static let hourlyActivity = [
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

    package static let userAgents: [UserAgent] = [
        UserAgent(
            text: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                + "Chrome/131.0.0.0 Safari/537.36",
            browser: "Chrome", os: "Windows", deviceType: "desktop", screens: desktopScreens
        ),
        UserAgent(
            text: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
                + "Chrome/131.0.0.0 Safari/537.36",
            browser: "Chrome", os: "macOS", deviceType: "desktop", screens: macScreens
        ),
        UserAgent(
            text: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
                + "Safari/537.36",
            browser: "Chrome", os: "Linux", deviceType: "desktop", screens: desktopScreens
        ),
        UserAgent(
            text: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
            browser: "Firefox", os: "Windows", deviceType: "desktop", screens: desktopScreens
        ),
        UserAgent(
            text: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0",
            browser: "Firefox", os: "macOS", deviceType: "desktop", screens: macScreens
        ),
        UserAgent(
            text: "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
            browser: "Firefox", os: "Linux", deviceType: "desktop", screens: desktopScreens
        ),
        UserAgent(
            text: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                + "Version/18.1 Safari/605.1.15",
            browser: "Safari", os: "macOS", deviceType: "desktop", screens: macScreens
        ),
        UserAgent(
            text: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                + "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            browser: "Edge", os: "Windows", deviceType: "desktop", screens: desktopScreens
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
            browser: "Safari", os: "iPadOS", deviceType: "tablet", screens: tabletScreens
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
            browser: "HeadlessChrome", os: nil, deviceType: "bot", isBot: true, screens: desktopScreens
        ),
    ]

    /// Indices into ``userAgents``, weighted roughly like a developer-tools site's traffic; ~4% crawlers.
    package static let userAgentTable = WeightedTable<Int>([
        (0, 220), (1, 100), (2, 35), (3, 40), (4, 20), (5, 20), (6, 80), (7, 60), (8, 170), (9, 30), (10, 30),
        (11, 140), (12, 30), (13, 18), (14, 10), (15, 8),
    ])

    package static let countries: [Country] = [
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
    package static let countryTable = WeightedTable<Int>([
        (0, 140), (19, 70), (20, 50), (1, 80), (2, 70), (3, 70), (4, 50), (5, 40), (6, 40), (7, 30), (8, 30),
        (9, 30), (10, 20), (11, 20), (12, 15), (13, 20), (14, 15), (15, 15), (16, 10), (17, 10), (18, 10),
    ])

    /// External referrers, weighted: search engines first, then communities and social sites. Browsers send only
    /// the origin across sites (`strict-origin-when-cross-origin`), so that is what the URLs are.
    package static let referrers = WeightedTable<Referrer>([
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
