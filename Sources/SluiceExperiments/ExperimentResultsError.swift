/// Why results could not be computed from the counts given.
public struct ExperimentResultsError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// Not one count per variation.
        case wrongVariationCount
        /// A negative count, or more converters than users.
        case invalidCounts
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
