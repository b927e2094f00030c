import SluiceCore

/// The variation a user gets in an experiment, or why they are not in it.
public struct Assignment: Sendable, Equatable {
    /// Why a user is not in an experiment, checked in this order (GrowthBook's order).
    public enum Exclusion: String, Sendable, Equatable, CaseIterable {
        /// The experiment is a draft.
        case draft
        /// The experiment is stopped.
        case stopped
        /// The user lacks the hash attribute (or it is empty).
        case missingHashAttribute
        /// The user falls outside the experiment's namespace slice.
        case notInNamespace
        /// The user fails the experiment's targeting.
        case excludedByTargeting
        /// The user's bucket is outside every variation's range (coverage below 1).
        case excludedByCoverage
    }

    /// The experiment's key.
    public var experiment: String
    public var inExperiment: Bool
    /// The variation's index; 0 (the control) for a user not in the experiment.
    public var variant: Int
    /// The variation's value as JSON text (the first variation's for a user not in the experiment).
    public var value: String
    /// Why the user is not in the experiment; `nil` when they are.
    public var exclusion: Exclusion?

    public init(experiment: String, inExperiment: Bool, variant: Int, value: String, exclusion: Exclusion?) {
        self.experiment = experiment
        self.inExperiment = inExperiment
        self.variant = variant
        self.value = value
        self.exclusion = exclusion
    }

    /// The variant endpoint's answer:
    /// `{"experiment":"KEY","inExperiment":true,"variant":1,"value":…}`, with `"reason":"…"` (the
    /// ``Exclusion``'s raw value) for a user not in the experiment.
    public var jsonText: String {
        var text = "{\"experiment\":"
        JSONString.append(experiment, to: &text)
        text += ",\"inExperiment\":\(inExperiment),\"variant\":\(variant),\"value\":"
        text += value
        if let exclusion { text += ",\"reason\":\"\(exclusion.rawValue)\"" }
        text += "}"
        return text
    }
}
