/// The sample-ratio-mismatch check: do the users per variation fit the weights? A mismatch means the assignment
/// or the data is broken (a redirect that loses users, a bot-filter that hits one variation), and the results
/// cannot be trusted whatever their p-values say.
///
/// The p-value is gbstats' `check_srm`: Pearson's chi-squared statistic of the observed users against
/// `weight / Σ weights × total users` (variations of weight 0 left out of the sum), with one degree of freedom
/// fewer than there are variations. The verdict is GrowthBook's: not judged below 8 users per variation in total,
/// a mismatch when p < 0.001.
public struct SampleRatioCheck: Sendable, Equatable {
    /// GrowthBook's verdict (its `SRMHealthStatus`).
    public enum Status: String, Sendable, Equatable {
        /// Fewer users than ``minimumUsersPerVariation`` × variations: too few to judge.
        case notEnoughTraffic = "not-enough-traffic"
        case healthy
        /// p < ``threshold``: the split does not fit the weights.
        case unhealthy
    }

    /// GrowthBook's default SRM threshold.
    public static let threshold = 0.001
    /// GrowthBook's minimum of users per variation, in total, before it judges the split.
    public static let minimumUsersPerVariation = 8

    /// The chi-squared test's p-value (1 without users).
    public let pValue: Double
    public let status: Status

    /// Whether the split is a mismatch (``Status/unhealthy``), to be shown prominently.
    public var isMismatch: Bool { status == .unhealthy }

    /// Checks `users` (one count per variation) against `weights` (one per variation, at least two).
    public init(users: [Int], weights: [Double]) {
        precondition(users.count == weights.count && users.count >= 2, "one weight per variation, at least two")
        let total = users.reduce(0, +)
        let totalWeight = weights.reduce(0, +)
        var statistic = 0.0
        for (observed, weight) in zip(users, weights) where weight > 0 {
            let expected = weight / totalWeight * Double(total)
            let difference = Double(observed) - expected
            statistic += difference * difference / expected
        }
        pValue = total == 0 ? 1 : ChiSquared(degreesOfFreedom: Double(users.count - 1)).survival(statistic)
        if total < Self.minimumUsersPerVariation * users.count {
            status = .notEnoughTraffic
        } else {
            status = pValue < Self.threshold ? .unhealthy : .healthy
        }
    }
}
