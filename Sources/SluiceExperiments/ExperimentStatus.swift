/// Where an experiment is in its life: only a running experiment puts users in it.
public enum ExperimentStatus: String, Sendable, Equatable, CaseIterable {
    /// Being set up: nobody is in it yet.
    case draft
    /// Live: users are bucketed into its variations.
    case running
    /// Over: nobody is in it any more, and its results are final.
    case stopped
}
