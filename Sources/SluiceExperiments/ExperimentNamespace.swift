/// A slice of a namespace (GrowthBook's `namespace: [id, lo, hi]`): experiments that share a namespace id and
/// take disjoint slices never have a user in common.
///
/// A user is in the slice when `lo ≤ hash("__" + id, hashValue, 1) < hi`, the hash independent of any one
/// experiment's seed.
public struct ExperimentNamespace: Sendable, Equatable {
    public let id: String
    /// The slice's lower bound, inclusive, in [0, 1].
    public let lowerBound: Double
    /// The slice's upper bound, exclusive, in [0, 1].
    public let upperBound: Double
    /// The UTF-16 code units of `"__" + id`, the seed hashed after the user's value.
    private let seedUnits: [UInt16]

    /// A namespace slice; throws unless `id` is non-empty and `0 ≤ lowerBound < upperBound ≤ 1`.
    public init(id: String, lowerBound: Double, upperBound: Double) throws(ExperimentDefinitionError) {
        guard !id.isEmpty else {
            throw ExperimentDefinitionError(.invalidField, field: "namespace", "the namespace id must not be empty")
        }
        guard lowerBound >= 0, upperBound <= 1, lowerBound < upperBound else {
            throw ExperimentDefinitionError(
                .invalidField, field: "namespace",
                "needs 0 ≤ lo < hi ≤ 1 in [id, lo, hi], got lo \(JSONNumber.text(lowerBound)), "
                    + "hi \(JSONNumber.text(upperBound))"
            )
        }
        self.id = id
        self.lowerBound = lowerBound
        self.upperBound = upperBound
        self.seedUnits = Array(("__" + id).utf16)
    }

    /// Whether the user whose hash attribute is `hashValue` is in the slice. Allocates nothing.
    public func contains(_ hashValue: String) -> Bool {
        contains(valueState: GrowthBookHash.fnv1a32(hashValue))
    }

    /// Whether the user is in the slice, given FNV-1a's state after their hash value (`fnv1a32(hashValue)`).
    func contains(valueState: UInt32) -> Bool {
        let n = GrowthBookHash.bucketV1(GrowthBookHash.fnv1a32(units: seedUnits, from: valueState))
        return lowerBound <= n && n < upperBound
    }
}
