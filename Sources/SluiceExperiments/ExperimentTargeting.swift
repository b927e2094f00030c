/// Who may enter an experiment: rules on the columns Sluice extracts from events and on traits, all of which
/// must pass (an empty targeting lets everyone in).
///
/// In an experiment file:
///
///     "targeting": {
///         "country": ["US", "CA"],
///         "device": {"not": ["bot"]},
///         "traits": {"plan": ["pro", "team"], "beta": [true]}
///     }
///
/// `country`, `browser`, `os` and `device` compare with the event columns of those names (`device` is
/// `device_type`), `traits` with the user's traits; each rule is a ``TargetingCondition``.
public struct ExperimentTargeting: Sendable, Equatable {
    public let country: TargetingCondition?
    public let browser: TargetingCondition?
    public let os: TargetingCondition?
    public let device: TargetingCondition?
    /// Rules on traits, by trait name, in the order written.
    public let traits: [(name: String, condition: TargetingCondition)]

    /// Targeting that lets everyone in.
    public static let everyone = ExperimentTargeting(
        country: nil, browser: nil, os: nil, device: nil, traits: []
    )

    public init(
        country: TargetingCondition? = nil, browser: TargetingCondition? = nil, os: TargetingCondition? = nil,
        device: TargetingCondition? = nil, traits: [(name: String, condition: TargetingCondition)] = []
    ) {
        self.country = country
        self.browser = browser
        self.os = os
        self.device = device
        self.traits = traits
    }

    /// Whether no rule is set.
    public var isEmpty: Bool {
        country == nil && browser == nil && os == nil && device == nil && traits.isEmpty
    }

    /// Whether `attributes` pass every rule. Allocates nothing.
    public func matches(_ attributes: ExperimentAttributes) -> Bool {
        if country?.matches(string: attributes.country) == false { return false }
        if browser?.matches(string: attributes.browser) == false { return false }
        if os?.matches(string: attributes.os) == false { return false }
        if device?.matches(string: attributes.device) == false { return false }
        for rule in traits where !rule.condition.matches(attributes.traits[rule.name]) { return false }
        return true
    }

    public static func == (lhs: ExperimentTargeting, rhs: ExperimentTargeting) -> Bool {
        lhs.country == rhs.country && lhs.browser == rhs.browser && lhs.os == rhs.os && lhs.device == rhs.device
            && lhs.traits.elementsEqual(rhs.traits) { $0.name == $1.name && $0.condition == $1.condition }
    }
}
