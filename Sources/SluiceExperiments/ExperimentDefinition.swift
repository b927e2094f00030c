/// An A/B experiment: GrowthBook's experiment fields, validated, with what bucketing needs precomputed.
///
/// Build one from an experiment file with ``init(jsonText:)``, or field by field with the validating
/// ``init(key:name:variations:weights:coverage:hashAttribute:hashVersion:seed:namespace:status:goalEvent:targeting:)``;
/// either way every instance is valid, and ``assign(_:)`` puts a user in a variation exactly as a GrowthBook SDK
/// given the same definition does. Immutable, so one instance can be shared by every thread.
public struct ExperimentDefinition: Sendable, Equatable {
    /// Which GrowthBook hash a definition uses.
    public enum HashVersion: Int, Sendable, Equatable {
        /// `fnv(value + seed) mod 1000`, GrowthBook's default for experiments.
        case v1 = 1
        /// `fnv(decimal string of fnv(seed + value)) mod 10000`: spreads similar ids better.
        case v2 = 2
    }

    /// The most characters a key may have (it appears in URL paths and table rows).
    public static let maximumKeyLength = 200

    /// The experiment's unique key within its project (GrowthBook's tracking key).
    public let key: String
    /// A human name, sent as `experiment_name` in exposure events; `nil` when not given.
    public let name: String?
    /// The variations' values, at least two; variation 0 is the control that results compare against.
    public let variations: [JSONValue]
    /// Each variation's value as compact JSON text (``JSONValue/jsonText``), as the variant endpoint serves it.
    public let variationTexts: [String]
    /// The traffic split: one weight per variation, summing to 1 (within [0.99, 1.01]); equal when not given.
    public let weights: [Double]
    /// The share of eligible users that enter the experiment, in [0, 1].
    public let coverage: Double
    public let hashAttribute: HashAttribute
    public let hashVersion: HashVersion
    /// The hash seed; the key when not given (or given empty, as GrowthBook's `seed || key`).
    public let seed: String
    public let namespace: ExperimentNamespace?
    public let status: ExperimentStatus
    /// The `track` event that counts as a conversion in the results; `nil` when not given.
    public let goalEvent: String?
    public let targeting: ExperimentTargeting

    /// Each variation's slice of the hash space, from ``weights`` and ``coverage``.
    public let bucketRanges: [BucketRange]
    /// The UTF-16 code units of ``seed``, hashed after the user's value by version 1.
    private let seedUnits: [UInt16]
    /// FNV-1a's state after ``seed``, where version 2 continues with the user's value.
    private let seedState: UInt32

    /// A definition from its fields, with GrowthBook's defaults for those left out.
    ///
    /// Throws ``ExperimentDefinitionError`` naming the field when: the key is empty, longer than
    /// ``maximumKeyLength``, has a `/`, a control character, or white space at either end; there are fewer than
    /// two variations; the weights are not one finite, non-negative number per variation summing to 1 (within
    /// GrowthBook's [0.99, 1.01]); the coverage is outside [0, 1]; the goal event is empty.
    public init(
        key: String, name: String? = nil, variations: [JSONValue], weights: [Double]? = nil, coverage: Double = 1,
        hashAttribute: HashAttribute = .id, hashVersion: HashVersion = .v1, seed: String? = nil,
        namespace: ExperimentNamespace? = nil, status: ExperimentStatus = .running, goalEvent: String? = nil,
        targeting: ExperimentTargeting = .everyone
    ) throws(ExperimentDefinitionError) {
        try Self.validate(key: key)
        guard variations.count >= 2 else {
            throw ExperimentDefinitionError(
                .invalidField, field: "variations", "needs at least 2 variations, got \(variations.count)"
            )
        }
        if let weights {
            guard weights.count == variations.count else {
                throw ExperimentDefinitionError(
                    .invalidField, field: "weights",
                    "needs one number per variation (\(variations.count)), got \(weights.count)"
                )
            }
            for (index, weight) in weights.enumerated() where !(weight >= 0 && weight.isFinite) {
                throw ExperimentDefinitionError(
                    .invalidField, field: "weights[\(index)]", "must be a number ≥ 0, got \(JSONNumber.text(weight))"
                )
            }
            guard BucketRange.weightsAreUsable(weights, count: variations.count) else {
                throw ExperimentDefinitionError(
                    .invalidField, field: "weights", "must add up to 1, got \(JSONNumber.text(weights.reduce(0, +)))"
                )
            }
        }
        guard coverage >= 0 && coverage <= 1 else {
            throw ExperimentDefinitionError(
                .invalidField, field: "coverage", "must be in [0, 1], got \(JSONNumber.text(coverage))")
        }
        if case .trait(let name) = hashAttribute, name.isEmpty {
            throw ExperimentDefinitionError(.invalidField, field: "hashAttribute", "must not be empty")
        }
        if let goalEvent, goalEvent.isEmpty {
            throw ExperimentDefinitionError(.invalidField, field: "goalEvent", "must not be empty")
        }
        self.key = key
        self.name = name
        self.variations = variations
        self.variationTexts = variations.map(\.jsonText)
        self.weights = weights ?? BucketRange.equalWeights(count: variations.count)
        self.coverage = coverage
        self.hashAttribute = hashAttribute
        self.hashVersion = hashVersion
        self.seed = seed.flatMap { $0.isEmpty ? nil : $0 } ?? key
        self.namespace = namespace
        self.status = status
        self.goalEvent = goalEvent
        self.targeting = targeting
        self.bucketRanges = BucketRange.ranges(count: variations.count, coverage: coverage, weights: self.weights)
        self.seedUnits = Array(self.seed.utf16)
        self.seedState = GrowthBookHash.fnv1a32(self.seed)
    }

    private static func validate(key: String) throws(ExperimentDefinitionError) {
        func refuse(_ message: String) -> ExperimentDefinitionError {
            ExperimentDefinitionError(.invalidField, field: "key", message)
        }
        guard !key.isEmpty else { throw refuse("must not be empty") }
        guard key.count <= maximumKeyLength else {
            throw refuse("must be at most \(maximumKeyLength) characters, got \(key.count)")
        }
        guard !key.unicodeScalars.contains(where: { $0 == "/" || $0.properties.generalCategory == .control }) else {
            throw refuse("must not contain '/' or control characters")
        }
        guard let first = key.unicodeScalars.first, let last = key.unicodeScalars.last,
            !first.properties.isWhitespace, !last.properties.isWhitespace
        else { throw refuse("must not begin or end with white space") }
    }

    /// The bucket (in [0, 1)) of the user whose hash attribute is `hashValue`. Allocates nothing.
    public func bucket(_ hashValue: String) -> Double {
        bucket(hashes(hashValue))
    }

    /// What bucketing a hash value takes: FNV-1a's state after the value alone (version 1 continues it with the
    /// seed, and so does the namespace with its own), and after the seed and the value (version 2).
    struct ValueHashes {
        var value: UInt32
        var seedThenValue: UInt32
    }

    /// The hashes of `hashValue` that this definition needs, in one pass over its code units: for version 2
    /// with a namespace the two chains run together (see ``GrowthBookHash/fnv1a32(_:from:and:)``).
    func hashes(_ hashValue: String) -> ValueHashes {
        switch (hashVersion, namespace) {
        case (.v1, _):
            return ValueHashes(value: GrowthBookHash.fnv1a32(hashValue), seedThenValue: 0)
        case (.v2, nil):
            return ValueHashes(value: 0, seedThenValue: GrowthBookHash.fnv1a32(hashValue, from: seedState))
        case (.v2, _?):
            let (value, seeded) = GrowthBookHash.fnv1a32(hashValue, from: GrowthBookHash.offsetBasis, and: seedState)
            return ValueHashes(value: value, seedThenValue: seeded)
        }
    }

    /// The bucket of a user from their ``ValueHashes``.
    func bucket(_ hashes: ValueHashes) -> Double {
        switch hashVersion {
        case .v1: GrowthBookHash.bucketV1(GrowthBookHash.fnv1a32(units: seedUnits, from: hashes.value))
        case .v2: GrowthBookHash.bucketV2(hashes.seedThenValue)
        }
    }
}
