/// What is known about a user when they are assigned: their ids, the columns Sluice extracts from their events,
/// and their traits.
///
/// The variant endpoint knows only the ids (from the query string); the assignments job also knows the extracted
/// columns of the person's events and the traits of their last `identify`.
public struct ExperimentAttributes: Sendable, Equatable {
    public var userId: String?
    public var anonymousId: String?
    /// ISO 3166-1 alpha-2 country code (`analytics.events.country`), e.g. `US`.
    public var country: String?
    /// Browser name (`analytics.events.browser`), e.g. `Chrome`.
    public var browser: String?
    /// Operating system (`analytics.events.os`), e.g. `iOS`.
    public var os: String?
    /// Device type (`analytics.events.device_type`): `desktop`, `mobile`, `tablet` or `bot`.
    public var device: String?
    /// The user's traits by name.
    public var traits: [String: JSONValue]

    public init(
        userId: String? = nil, anonymousId: String? = nil, country: String? = nil, browser: String? = nil,
        os: String? = nil, device: String? = nil, traits: [String: JSONValue] = [:]
    ) {
        self.userId = userId
        self.anonymousId = anonymousId
        self.country = country
        self.browser = browser
        self.os = os
        self.device = device
        self.traits = traits
    }
}
