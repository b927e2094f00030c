/// What the Segment decoder found in an event for enrichment to turn into extracted columns.
///
/// The decoder fills these from the event's JSON (`context.page`, `context.campaign`,
/// `context.userAgent`, `context.location`, `context.ip`, and for `page` calls the page fields of
/// `properties`); enrichment then sets ``EventRow``'s page, referrer, UTM, country, browser, OS,
/// device and IP columns from them. Values are the raw strings the client sent, unescaped.
public struct EventHints: Sendable, Equatable {
    /// `context.page.url`, else `properties.url` of a `page` call.
    public var pageURL: String?
    /// `context.page.path`, else `properties.path` of a `page` call.
    public var pagePath: String?
    /// `context.page.referrer`, else `properties.referrer` of a `page` call.
    public var referrer: String?
    /// `context.page.search`, else `properties.search` of a `page` call (with or without its `?`).
    public var search: String?
    /// `context.campaign.source`.
    public var campaignSource: String?
    /// `context.campaign.medium`.
    public var campaignMedium: String?
    /// `context.campaign.name` (Segment's name for `utm_campaign`).
    public var campaignName: String?
    /// `context.campaign.term`.
    public var campaignTerm: String?
    /// `context.campaign.content`.
    public var campaignContent: String?
    /// `context.location.country`.
    public var country: String?
    /// `context.userAgent`.
    public var userAgent: String?
    /// `context.ip`, as sent.
    public var ip: String?

    public init(
        pageURL: String? = nil, pagePath: String? = nil, referrer: String? = nil, search: String? = nil,
        campaignSource: String? = nil, campaignMedium: String? = nil, campaignName: String? = nil,
        campaignTerm: String? = nil, campaignContent: String? = nil, country: String? = nil,
        userAgent: String? = nil, ip: String? = nil
    ) {
        self.pageURL = pageURL
        self.pagePath = pagePath
        self.referrer = referrer
        self.search = search
        self.campaignSource = campaignSource
        self.campaignMedium = campaignMedium
        self.campaignName = campaignName
        self.campaignTerm = campaignTerm
        self.campaignContent = campaignContent
        self.country = country
        self.userAgent = userAgent
        self.ip = ip
    }
}
