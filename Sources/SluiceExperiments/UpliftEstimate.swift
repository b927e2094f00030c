/// A variation's relative uplift over the control, with its confidence interval and two-sided p-value, as
/// GrowthBook's gbstats 0.8.0 reports it in frequentist mode (`TwoSidedTTest` with `difference_type =
/// "relative"`, then `analyze_metric_df`'s fallbacks); the formulas are in `docs/experiments.md`.
///
/// For control rate p_a over n_a users and variation rate p_b over n_b, with v = p (1 − p):
/// uplift = (p_b − p_a) / p_a; its delta-method variance s² = v_b / (p_a² n_b) + v_a p_b² / (p_a⁴ n_a);
/// t = uplift / s; Welch–Satterthwaite degrees of freedom
/// ν = (v_b/n_b + v_a/n_a)² / (v_b² / (n_b² (n_b − 1)) + v_a² / (n_a² (n_a − 1)));
/// p = 2 (1 − F_ν(|t|)); interval uplift ± F_ν⁻¹(1 − α/2) · s.
public struct UpliftEstimate: Sendable, Equatable {
    /// Why gbstats gave no test, with its message codes.
    public enum Problem: String, Sendable, Equatable {
        /// The control's conversion rate is 0: a relative change is undefined.
        case zeroBaseline = "ZERO_NEGATIVE_BASELINE_VARIATION"
        /// A variation's variance is 0 (no converters, or every user converted, or at most one user).
        case zeroVariance = "ZERO_NEGATIVE_VARIANCE"
    }

    /// The relative uplift (p_b − p_a) / p_a (gbstats' `expected`): 0.05 is 5% better than the control.
    public let uplift: Double
    /// The confidence interval's bounds; [0, 0] when ``problem`` is set, as gbstats reports.
    public let lower: Double
    public let upper: Double
    /// The two-sided p-value; 1 when ``problem`` is set.
    public let pValue: Double
    /// The standard error s of ``uplift`` (gbstats' `uplift.stddev`); 0 when ``problem`` is set.
    public let standardError: Double
    /// Welch–Satterthwaite's degrees of freedom; `nil` when ``problem`` is set.
    public let degreesOfFreedom: Double?
    public let problem: Problem?

    /// gbstats' default confidence level: α = 0.05.
    public static let defaultAlpha = 0.05

    /// Compares `variation` with `baseline` (the control), at confidence level 1 − `alpha`.
    ///
    /// As gbstats: a control rate of 0 gives uplift 0 and ``Problem/zeroBaseline``; a zero variance on either
    /// side gives the plain uplift (p_b − p_a) / p_a with interval [0, 0], p-value 1 and
    /// ``Problem/zeroVariance``.
    public static func compare(
        baseline: ConversionStatistic, variation: ConversionStatistic, alpha: Double = defaultAlpha
    ) -> UpliftEstimate {
        let rateA = baseline.conversionRate
        let rateB = variation.conversionRate
        guard rateA != 0 else {
            return UpliftEstimate(
                uplift: 0, lower: 0, upper: 0, pValue: 1, standardError: 0, degreesOfFreedom: nil,
                problem: .zeroBaseline
            )
        }
        let varianceA = baseline.variance
        let varianceB = variation.variance
        let uplift = (rateB - rateA) / rateA
        guard varianceA > 0 && varianceB > 0 else {
            return UpliftEstimate(
                uplift: uplift, lower: 0, upper: 0, pValue: 1, standardError: 0, degreesOfFreedom: nil,
                problem: .zeroVariance
            )
        }
        let usersA = Double(baseline.users)
        let usersB = Double(variation.users)
        let rateASquared = rateA * rateA
        let variance =
            varianceB / (rateASquared * usersB) + varianceA * rateB * rateB / (rateASquared * rateASquared * usersA)
        let standardError = variance.squareRoot()
        let meanVarianceA = varianceA / usersA
        let meanVarianceB = varianceB / usersB
        let degreesOfFreedom =
            (meanVarianceA + meanVarianceB) * (meanVarianceA + meanVarianceB)
            / (meanVarianceB * meanVarianceB / (usersB - 1) + meanVarianceA * meanVarianceA / (usersA - 1))
        let distribution = StudentT(degreesOfFreedom: degreesOfFreedom)
        let width = distribution.quantile(1 - alpha / 2) * standardError
        return UpliftEstimate(
            uplift: uplift, lower: uplift - width, upper: uplift + width,
            pValue: distribution.twoSidedTail(uplift / standardError), standardError: standardError,
            degreesOfFreedom: degreesOfFreedom, problem: nil
        )
    }
}
