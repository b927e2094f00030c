/// One variation's conversions: how many users it had and how many of them converted. gbstats'
/// `ProportionStatistic` (`n` = users, `sum` = converters).
public struct ConversionStatistic: Sendable, Equatable {
    public let users: Int
    public let converters: Int

    public init(users: Int, converters: Int) {
        self.users = users
        self.converters = converters
    }

    /// converters / users; 0 without users (gbstats' `mean`).
    public var conversionRate: Double {
        users == 0 ? 0 : Double(converters) / Double(users)
    }

    /// p (1 − p) for the conversion rate p: the per-user variance of a 0/1 outcome, without Bessel's
    /// correction, as gbstats' `ProportionStatistic.variance`.
    public var variance: Double {
        conversionRate * (1 - conversionRate)
    }

    /// √variance, or 0 when the variance is not positive (gbstats' `stddev`).
    public var standardDeviation: Double {
        variance > 0 ? variance.squareRoot() : 0
    }
}
