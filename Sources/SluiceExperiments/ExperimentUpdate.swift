/// What storing an experiment file does to the stored experiment of the same key: the rule behind
/// `sluice experiments create` (create or update).
///
/// A change that re-randomises users (``reassigningFields``: the variations, the weights, the seed, the hash
/// attribute or the hash version) moves people between variations, so exposures before and after it must not be
/// counted together: such a change starts a new ``version`` (assignments and results are kept per version), and
/// for a running experiment it is refused unless forced. Every other change (coverage, namespace, targeting,
/// status, goal event, name) keeps the version: raising coverage, for one, keeps everyone already in the
/// experiment in their variation.
public struct ExperimentUpdate: Sendable, Equatable {
    /// What happens to the stored experiment.
    public enum Kind: Sendable, Equatable {
        /// There was none: it is created, at version 1.
        case create
        /// The file equals what is stored: nothing to write.
        case unchanged
        /// Stored anew, same version.
        case update
        /// Stored anew at the next version: the change re-randomises users.
        case newVersion
    }

    /// The fields whose change re-randomises users.
    public static let reassigningFields = ["variations", "weights", "seed", "hashAttribute", "hashVersion"]

    public let kind: Kind
    /// The version the stored experiment has after the update.
    public let version: Int
    /// The re-randomising fields that changed, in ``reassigningFields`` order; empty unless ``kind`` is `newVersion`.
    public let changedReassigningFields: [String]

    /// Decides how `proposed` replaces `current` (the stored definition and its version, `nil` when there is
    /// none).
    ///
    /// Throws ``ExperimentDefinitionError`` `needsForce` when `current` is running, a re-randomising field
    /// changes and `force` is false (the message names the fields and the version `force` would start), and
    /// `keyMismatch` when the keys differ.
    public static func plan(
        current: (definition: ExperimentDefinition, version: Int)?, proposed: ExperimentDefinition, force: Bool
    ) throws(ExperimentDefinitionError) -> ExperimentUpdate {
        guard let current else { return ExperimentUpdate(kind: .create, version: 1, changedReassigningFields: []) }
        guard current.definition.key == proposed.key else {
            throw ExperimentDefinitionError(
                .keyMismatch, field: "key",
                "\"\(proposed.key)\" cannot replace the stored experiment \"\(current.definition.key)\""
            )
        }
        if current.definition == proposed {
            return ExperimentUpdate(kind: .unchanged, version: current.version, changedReassigningFields: [])
        }
        let changed = reassigningChanges(from: current.definition, to: proposed)
        guard !changed.isEmpty else {
            return ExperimentUpdate(kind: .update, version: current.version, changedReassigningFields: [])
        }
        let next = current.version + 1
        guard current.definition.status != .running || force else {
            throw ExperimentDefinitionError(
                .needsForce, field: changed[0],
                "changing \(changed.joined(separator: ", ")) of running experiment \"\(proposed.key)\" moves users "
                    + "between variations; use --force to start its version \(next)"
            )
        }
        return ExperimentUpdate(kind: .newVersion, version: next, changedReassigningFields: changed)
    }

    /// The fields of ``reassigningFields`` that differ between `old` and `new`. Weights compare as bucketing
    /// uses them (left out equals written out as equal weights).
    static func reassigningChanges(from old: ExperimentDefinition, to new: ExperimentDefinition) -> [String] {
        var changed: [String] = []
        if old.variationTexts != new.variationTexts { changed.append("variations") }
        if old.weights != new.weights { changed.append("weights") }
        if old.seed != new.seed { changed.append("seed") }
        if old.hashAttribute != new.hashAttribute { changed.append("hashAttribute") }
        if old.hashVersion != new.hashVersion { changed.append("hashVersion") }
        return changed
    }
}
