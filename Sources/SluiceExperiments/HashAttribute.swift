/// Which attribute of a user is hashed to choose their variation (GrowthBook's `hashAttribute`).
public enum HashAttribute: Sendable, Equatable {
    /// `id`, GrowthBook's default: the user's `userId`, else their `anonymousId`.
    case id
    /// The `userId` only: anonymous visitors are not in the experiment.
    case userId
    /// The `anonymousId` only (a device or browser rather than a person).
    case anonymousId
    /// A trait of the user (from `identify`), by name.
    case trait(String)

    /// The attribute as written in an experiment file (`id`, `userId`, `anonymousId` or the trait's name).
    public var name: String {
        switch self {
        case .id: "id"
        case .userId: "userId"
        case .anonymousId: "anonymousId"
        case .trait(let name): name
        }
    }

    /// The attribute named `name` in an experiment file.
    public init(name: String) {
        switch name {
        case "id": self = .id
        case "userId": self = .userId
        case "anonymousId": self = .anonymousId
        default: self = .trait(name)
        }
    }

    /// The text to hash for `attributes`, or `nil` when the user lacks the attribute.
    ///
    /// As GrowthBook's SDKs (`String(attributes[hashAttribute] || "")`), an empty string, `false`, `0` and `null`
    /// count as missing. A trait that is a string hashes as itself, a number as its JSON text as written (`42`),
    /// `true` as `true`; arrays and objects count as missing. Returns a string already held by `attributes` (or a
    /// literal), so it allocates nothing.
    public func value(in attributes: ExperimentAttributes) -> String? {
        switch self {
        case .id: nonEmpty(attributes.userId) ?? nonEmpty(attributes.anonymousId)
        case .userId: nonEmpty(attributes.userId)
        case .anonymousId: nonEmpty(attributes.anonymousId)
        case .trait(let name):
            switch attributes.traits[name] {
            case .string(let text): nonEmpty(text)
            case .number(let number): number.value == 0 ? nil : number.text
            case .bool(true): "true"
            default: nil
            }
        }
    }

    private func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }
}
