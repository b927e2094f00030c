import SluiceExperiments

/// An experiment as `experiments.experiments` holds it: the definition and where it is in its life.
public struct StoredExperiment: Sendable, Equatable {
    public let projectID: Int64
    public let definition: ExperimentDefinition
    /// One more at each change that re-randomised users; assignments and results are per version.
    public let version: Int
    /// When the current version first ran (UTC, ISO 8601 with microseconds); `nil` while it has not.
    public let versionStartedAt: String?
    /// When it was stopped (as ``versionStartedAt``); `nil` unless it is stopped.
    public let stoppedAt: String?
    /// When it was created and last changed (UTC, ISO 8601 with microseconds).
    public let createdAt: String
    public let updatedAt: String

    public init(
        projectID: Int64, definition: ExperimentDefinition, version: Int, versionStartedAt: String?,
        stoppedAt: String?, createdAt: String, updatedAt: String
    ) {
        self.projectID = projectID
        self.definition = definition
        self.version = version
        self.versionStartedAt = versionStartedAt
        self.stoppedAt = stoppedAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public var key: String { definition.key }
}
