// SluiceDemo: the traffic `sluice demo` sends, without I/O. Two made-up sites (a shop and a blog), their
// visitors, visits and events, and the shop's running experiment, all derived from one seed, as Segment
// batch JSON for the real ingest path. `sluice demo` does the HTTP and the SQL.

import SluiceExperiments
import SluiceWorkload

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A page of a demo site.
public struct DemoPage: Sendable, Equatable {
    public let path: String
    public let title: String
    /// The shop's product pages: where the experiment is shown and "Product Viewed" is tracked.
    public let isProduct: Bool

    init(_ path: String, _ title: String, isProduct: Bool = false) {
        self.path = path
        self.title = title
        self.isProduct = isProduct
    }
}

/// A UTM campaign that brings visitors to a demo site.
public struct DemoCampaign: Sendable, Equatable {
    public let source: String
    public let medium: String
    public let name: String
    /// The referrer a browser sends from the campaign's link, if any (an ad on a search page, a social post).
    public let referrer: String?

    /// The landing URL's query string, with its `?`.
    public var query: String { "?utm_source=\(source)&utm_medium=\(medium)&utm_campaign=\(name)" }
}

/// One demo site: its pages in order of popularity, its audience and what converts there.
///
/// Page popularity follows Zipf's law (weight ∝ 1 / rank^``zipfExponent``), which is how page views spread over
/// the pages of real sites: a few pages take most views, a long tail takes the rest.
public struct DemoSite: Sendable {
    /// The project's name in `sluice.projects`; `sluice demo` finds its projects again by it.
    public let projectName: String
    /// The host in page URLs, e.g. `shop.example`.
    public let host: String
    /// By popularity rank: `pages[0]` is the most viewed.
    public let pages: [DemoPage]
    /// Visits a day on average (weekends and nights have fewer, see ``DemoTraffic``).
    public let visitsPerDay: Int
    /// The share of visits that see one page and nothing else.
    public let bounceShare: Double
    /// The share of visits that arrive from a campaign link, and of the others from another site.
    public let campaignShare: Double
    public let referralShare: Double
    public let campaigns: [DemoCampaign]
    /// The `track` event that counts as a conversion on this site.
    public let goalEvent: String
    /// The share of weekday traffic a weekend day keeps.
    public let weekendFactor: Double
    /// The experiment that runs on this site (the shop's), with each variation's chance that an exposed
    /// visit converts.
    public let experiment: DemoExperiment?

    /// The exponent of the pages' Zipf popularity curve.
    public static let zipfExponent = 1.1

    /// Both demo sites, the shop first.
    public static let all: [DemoSite] = [.shop, .blog]

    /// Popularity weights of ``pages``, in parts per million (Zipf, see the type's comment).
    var pageWeights: [Int] {
        pages.indices.map { rank in Int((1_000_000 / pow(Double(rank + 1), Self.zipfExponent)).rounded()) }
    }

    public static let shop = DemoSite(
        projectName: "Demo shop", host: "shop.example",
        pages: [
            DemoPage("/", "Acme Outdoor — gear for every trail"),
            DemoPage("/products/trail-runner-2", "Trail Runner 2 — Acme Outdoor", isProduct: true),
            DemoPage("/sale", "Sale — Acme Outdoor"),
            DemoPage("/products/ultralight-tent", "Ultralight Tent — Acme Outdoor", isProduct: true),
            DemoPage("/category/shoes", "Shoes — Acme Outdoor"),
            DemoPage("/products/down-jacket", "Down Jacket — Acme Outdoor", isProduct: true),
            DemoPage("/category/tents", "Tents — Acme Outdoor"),
            DemoPage("/products/headlamp-400", "Headlamp 400 — Acme Outdoor", isProduct: true),
            DemoPage("/products/merino-socks", "Merino Socks — Acme Outdoor", isProduct: true),
            DemoPage("/category/jackets", "Jackets — Acme Outdoor"),
            DemoPage("/products/water-filter", "Water Filter — Acme Outdoor", isProduct: true),
            DemoPage("/products/camp-stove", "Camp Stove — Acme Outdoor", isProduct: true),
            DemoPage("/about", "About us — Acme Outdoor"),
            DemoPage("/products/trekking-poles", "Trekking Poles — Acme Outdoor", isProduct: true),
            DemoPage("/shipping", "Shipping and returns — Acme Outdoor"),
            DemoPage("/products/sleeping-bag", "Sleeping Bag −5 °C — Acme Outdoor", isProduct: true),
            DemoPage("/contact", "Contact — Acme Outdoor"),
            DemoPage("/products/rain-shell", "Rain Shell — Acme Outdoor", isProduct: true),
        ],
        visitsPerDay: 900, bounceShare: 0.38, campaignShare: 0.18, referralShare: 0.5,
        campaigns: [
            DemoCampaign(source: "google", medium: "cpc", name: "spring_sale", referrer: "https://www.google.com/"),
            DemoCampaign(source: "newsletter", medium: "email", name: "new_arrivals", referrer: nil),
            DemoCampaign(
                source: "instagram", medium: "paid_social", name: "spring_sale", referrer: "https://l.instagram.com/"),
            DemoCampaign(source: "partner", medium: "affiliate", name: "trail_magazine", referrer: nil),
        ],
        goalEvent: "Order Completed", weekendFactor: 1.2, experiment: .shopCheckout
    )

    public static let blog = DemoSite(
        projectName: "Demo blog", host: "blog.example",
        pages: [
            DemoPage("/", "Field Notes — a blog about building things"),
            DemoPage("/posts/postgres-partitioning", "Partitioning PostgreSQL by day — Field Notes"),
            DemoPage("/posts/why-we-left-the-cloud", "Why we left the cloud — Field Notes"),
            DemoPage("/posts/swift-on-the-server", "Swift on the server, a year in — Field Notes"),
            DemoPage("/posts/hyperloglog-explained", "HyperLogLog, explained — Field Notes"),
            DemoPage("/about", "About — Field Notes"),
            DemoPage("/posts/fsync-is-not-enough", "fsync is not enough — Field Notes"),
            DemoPage("/posts/ab-testing-pitfalls", "Five A/B testing pitfalls — Field Notes"),
            DemoPage("/newsletter", "The newsletter — Field Notes"),
            DemoPage("/posts/copy-vs-insert", "COPY vs INSERT — Field Notes"),
            DemoPage("/posts/lock-free-queues", "Lock-free queues in practice — Field Notes"),
            DemoPage("/archive", "Archive — Field Notes"),
            DemoPage("/posts/zstd-dictionaries", "zstd dictionaries — Field Notes"),
            DemoPage("/posts/on-call-without-tears", "On call without tears — Field Notes"),
        ],
        visitsPerDay: 600, bounceShare: 0.62, campaignShare: 0.08, referralShare: 0.7,
        campaigns: [
            DemoCampaign(source: "newsletter", medium: "email", name: "weekly_digest", referrer: nil),
            DemoCampaign(
                source: "mastodon", medium: "social", name: "launch_post", referrer: "https://mastodon.social/"),
        ],
        goalEvent: "Newsletter Subscribed", weekendFactor: 0.6, experiment: nil
    )
}

/// The demo's experiment: a GrowthBook-style definition plus the conversion chances that make its winner.
public struct DemoExperiment: Sendable {
    public let definition: ExperimentDefinition
    /// The chance, per variation, that a visit exposed to it ends in the goal event.
    public let conversionChance: [Double]

    /// The shop tests a one-click checkout button (the treatment) against its cart page (the control); the
    /// treatment converts more than twice as often, so the results show a clear winner.
    public static let shopCheckout: DemoExperiment = {
        do {
            let definition = try ExperimentDefinition(
                key: "checkout-button", name: "One-click checkout button",
                variations: [.string("control"), .string("one-click")], hashVersion: .v2,
                goalEvent: "Order Completed"
            )
            return DemoExperiment(definition: definition, conversionChance: [0.07, 0.16])
        } catch {
            preconditionFailure("the demo experiment's definition is invalid: \(error)")
        }
    }()

    /// The definition as an experiment file (what `sluice experiments create` reads).
    public var fileText: String { definition.json.jsonText }
}
