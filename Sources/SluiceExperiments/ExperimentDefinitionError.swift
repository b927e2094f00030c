/// Why an experiment file, or a change to a stored experiment, was refused.
///
/// ``description`` is one line naming the field, e.g. `weights: needs one number per variation (3), got 2`, for
/// the command line to print before it exits 64 (bad usage) without storing anything.
public struct ExperimentDefinitionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of problem it is.
    public enum Code: String, Sendable, Equatable {
        /// The file is not JSON, or not a JSON object.
        case notJSON
        /// A required field (`key`, `variations`) is absent.
        case missingField
        /// A field has the wrong type or a value outside its range.
        case invalidField
        /// A field Sluice does not know.
        case unknownField
        /// A GrowthBook field that would change who gets which variation but that Sluice does not implement.
        case unsupportedField
        /// The change would re-randomise a running experiment and was not forced.
        case needsForce
        /// An update names a different experiment than the stored one.
        case keyMismatch
    }

    public var code: Code
    /// The field at fault, as a path: `weights`, `namespace`, `targeting.traits.plan`; `nil` for the whole file.
    public var field: String?
    /// What is wrong with it.
    public var message: String

    public init(_ code: Code, field: String?, _ message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    public var description: String {
        guard let field else { return message }
        return "\(field): \(message)"
    }
}
