/// Why an experiment could not be stored, found or counted, in one line that says what to do.
public struct ExperimentStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure it is; the command line exits 64 (bad usage) for all but `corrupt`.
    public enum Code: String, Sendable, Equatable {
        /// No project has the id given.
        case unknownProject
        /// The project has no experiment of that key.
        case unknownExperiment
        /// The file was refused (an ``SluiceExperiments/ExperimentDefinitionError``, `needsForce` included).
        case refused
        /// What the database holds cannot be read back as a definition (edited by hand, or a newer sluice).
        case corrupt
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Whether the caller asked for something that cannot be done (exit 64), rather than the database failing.
    public var isUsageError: Bool { code != .corrupt }

    public var description: String { message }
}
