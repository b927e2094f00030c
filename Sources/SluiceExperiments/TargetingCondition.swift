/// One targeting rule on one attribute: the attribute must be one of some values, or none of them.
///
/// In an experiment file a rule is a non-empty array (`["US", "CA"]`: one of these) or an object with a `not`
/// array (`{"not": ["DE"]}`: none of these; a user without the attribute passes). Values are JSON strings,
/// numbers or booleans, compared exactly (strings case-sensitively, numbers by value, `1` equals `1.0`).
public struct TargetingCondition: Sendable, Equatable {
    /// Whether the attribute must be among ``values`` or must not be.
    public enum Kind: Sendable, Equatable {
        case oneOf
        case noneOf
    }

    public let kind: Kind
    /// The values compared with, all strings, numbers or booleans.
    public let values: [JSONValue]

    /// A rule; throws unless `values` is non-empty and every value is a string, a number or a boolean (only
    /// strings when `stringsOnly`, for the columns extracted from events). `field` names the rule in errors.
    public init(_ kind: Kind, _ values: [JSONValue], field: String, stringsOnly: Bool) throws(ExperimentDefinitionError)
    {
        guard !values.isEmpty else {
            throw ExperimentDefinitionError(.invalidField, field: field, "needs at least one value to compare with")
        }
        for (index, value) in values.enumerated() {
            switch value {
            case .string: continue
            case .number where !stringsOnly, .bool where !stringsOnly: continue
            default:
                throw ExperimentDefinitionError(
                    .invalidField, field: "\(field)[\(index)]",
                    stringsOnly
                        ? "must be a string, not \(value.kindDescription)"
                        : "must be a string, a number or a boolean, not \(value.kindDescription)"
                )
            }
        }
        self.kind = kind
        self.values = values
    }

    /// Whether a user whose attribute is `value` (`nil` when absent) passes the rule.
    public func matches(_ value: JSONValue?) -> Bool {
        let found = value.map { value in values.contains { Self.equal($0, value) } } ?? false
        return kind == .oneOf ? found : !found
    }

    /// Whether a user whose string attribute is `value` (`nil` when absent) passes the rule. Allocates nothing.
    public func matches(string value: String?) -> Bool {
        let found =
            value.map { value in
                values.contains {
                    if case .string(let allowed) = $0 { return allowed == value }
                    return false
                }
            } ?? false
        return kind == .oneOf ? found : !found
    }

    private static func equal(_ allowed: JSONValue, _ value: JSONValue) -> Bool {
        switch (allowed, value) {
        case (.string(let a), .string(let b)): a == b
        case (.number(let a), .number(let b)): a.value == b.value
        case (.bool(let a), .bool(let b)): a == b
        default: false
        }
    }

    /// The rule as it is written in an experiment file.
    var json: JSONValue {
        kind == .oneOf ? .array(values) : .object([JSONMember("not", .array(values))])
    }
}
