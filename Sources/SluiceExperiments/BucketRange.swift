/// One variation's slice of the hash space [0, 1): a user whose hash `n` has `lowerBound ≤ n < upperBound` gets
/// the variation. GrowthBook's `getBucketRanges` / `chooseVariation`.
public struct BucketRange: Sendable, Equatable {
    public var lowerBound: Double
    public var upperBound: Double

    public init(_ lowerBound: Double, _ upperBound: Double) {
        self.lowerBound = lowerBound
        self.upperBound = upperBound
    }

    /// Whether `n` falls in the range (`lowerBound ≤ n < upperBound`; an empty range holds nothing).
    public func contains(_ n: Double) -> Bool {
        lowerBound <= n && n < upperBound
    }

    /// `count` equal weights of `1 / count` (GrowthBook's `getEqualWeights`); none for a count below 1.
    public static func equalWeights(count: Int) -> [Double] {
        guard count > 0 else { return [] }
        return Array(repeating: 1 / Double(count), count: count)
    }

    /// Whether GrowthBook uses `weights` as given for `count` variations: one per variation, summing to within
    /// [0.99, 1.01]. Otherwise it falls back to equal weights.
    public static func weightsAreUsable(_ weights: [Double], count: Int) -> Bool {
        guard weights.count == count else { return false }
        let total = weights.reduce(0, +)
        return total >= 0.99 && total <= 1.01
    }

    /// GrowthBook's bucket ranges: coverage clamped to [0, 1]; `weights` replaced by equal weights when missing,
    /// of the wrong count or summing outside [0.99, 1.01]; then, with `start` the sum of the weights before it,
    /// each variation's range is `start ..< start + coverage × weight`.
    ///
    /// The ranges start where they would at full coverage, so raising the coverage later keeps everyone who was
    /// in the experiment in their variation.
    public static func ranges(count: Int, coverage: Double, weights: [Double]?) -> [BucketRange] {
        let coverage = coverage > 1 ? 1 : (coverage >= 0 ? coverage : 0)
        let weights = weights.flatMap { weightsAreUsable($0, count: count) ? $0 : nil } ?? equalWeights(count: count)
        var start = 0.0
        return weights.map { weight in
            let range = BucketRange(start, start + coverage * weight)
            start += weight
            return range
        }
    }

    /// The index of the first range holding `n`, or `nil` when none does (the user is outside the coverage);
    /// GrowthBook's `chooseVariation`, whose `-1` is `nil` here.
    public static func chooseVariation(_ n: Double, in ranges: [BucketRange]) -> Int? {
        for index in ranges.indices where ranges[index].contains(n) { return index }
        return nil
    }
}
