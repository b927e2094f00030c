import SluiceExperiments
import Testing

/// The relative uplift test against numbers gbstats 0.8.0's `TwoSidedTTest` printed, a worked example, and
/// gbstats' handling of a zero control and zero variances.
@Suite struct UpliftEstimateTests {
    static func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-12) -> Bool {
        abs(a - b) <= tolerance * max(1, abs(b))
    }

    /// 10% → 12% over 1,000 users each. By hand: v_a = 0.09, v_b = 0.1056, s² = 0.1056 / (0.01 · 1000) +
    /// 0.09 · 0.0144 / (0.0001 · 1000) = 0.02352; ν = (1.956e-4)² / ((1.056e-4² + 0.9e-4²) / 999) ≈ 1985.37.
    @Test func workedExample() throws {
        let estimate = UpliftEstimate.compare(
            baseline: ConversionStatistic(users: 1000, converters: 100),
            variation: ConversionStatistic(users: 1000, converters: 120)
        )
        #expect(estimate.problem == nil)
        #expect(Self.close(estimate.uplift, 0.2))
        #expect(Self.close(estimate.standardError * estimate.standardError, 0.02352))
        #expect(Self.close(try #require(estimate.degreesOfFreedom), 1985.3714563542528))
        // gbstats: expected 0.1999999999999999, ci [-0.10076797484835626, 0.500767974848356],
        // p_value 0.19235020701505579, uplift.stddev 0.1533623161014465.
        #expect(Self.close(estimate.lower, -0.10076797484835626))
        #expect(Self.close(estimate.upper, 0.500767974848356))
        #expect(Self.close(estimate.pValue, 0.19235020701505579, 1e-11))
        #expect(Self.close(estimate.standardError, 0.1533623161014465))
    }

    @Test func smallSamples() {
        let small = UpliftEstimate.compare(
            baseline: ConversionStatistic(users: 50, converters: 5),
            variation: ConversionStatistic(users: 40, converters: 9)
        )
        #expect(Self.close(small.uplift, 1.25))
        #expect(
            Self.close(small.lower, -1.0657706327566072, 1e-11) && Self.close(small.upper, 3.565770632756607, 1e-11))
        #expect(Self.close(small.pValue, 0.28527742786203847, 1e-11))
        #expect(Self.close(small.degreesOfFreedom ?? 0, 68.55317587767556))
        let tiny = UpliftEstimate.compare(
            baseline: ConversionStatistic(users: 2, converters: 1),
            variation: ConversionStatistic(users: 3, converters: 1)
        )
        #expect(Self.close(tiny.lower, -3.224604239593921, 1e-11) && Self.close(tiny.upper, 2.557937572927254, 1e-11))
        #expect(Self.close(tiny.pValue, 0.6859587964958609, 1e-11))
        #expect(Self.close(tiny.degreesOfFreedom ?? 0, 2.157526254375729))
    }

    /// gbstats' fallbacks: a zero control rate reports uplift 0; a zero variance (no or all converters, no
    /// users) the plain uplift; both with interval [0, 0], p-value 1 and its message code.
    @Test func gbstatsFallbacks() {
        func compare(_ a: (Int, Int), _ b: (Int, Int)) -> UpliftEstimate {
            UpliftEstimate.compare(
                baseline: ConversionStatistic(users: a.0, converters: a.1),
                variation: ConversionStatistic(users: b.0, converters: b.1)
            )
        }
        let zeroControl = compare((1000, 0), (1000, 120))
        #expect(zeroControl.problem == .zeroBaseline && zeroControl.uplift == 0)
        #expect(zeroControl.lower == 0 && zeroControl.upper == 0 && zeroControl.pValue == 1)
        #expect(zeroControl.standardError == 0 && zeroControl.degreesOfFreedom == nil)
        #expect(compare((0, 0), (10, 5)).problem == .zeroBaseline)

        let noConverters = compare((1000, 100), (1000, 0))
        #expect(noConverters.problem == .zeroVariance && noConverters.uplift == -1)
        #expect(noConverters.lower == 0 && noConverters.upper == 0 && noConverters.pValue == 1)
        let allConverted = compare((1000, 100), (20, 20))
        #expect(allConverted.problem == .zeroVariance && Self.close(allConverted.uplift, 9))
        let noUsers = compare((1000, 100), (0, 0))
        #expect(noUsers.problem == .zeroVariance && noUsers.uplift == -1)
        let controlAllConverted = compare((5, 5), (10, 5))
        #expect(controlAllConverted.problem == .zeroVariance && Self.close(controlAllConverted.uplift, -0.5))
        #expect(UpliftEstimate.Problem.zeroBaseline.rawValue == "ZERO_NEGATIVE_BASELINE_VARIATION")
        #expect(UpliftEstimate.Problem.zeroVariance.rawValue == "ZERO_NEGATIVE_VARIANCE")
    }

    /// The interval widens with the confidence level and is centred on the uplift.
    @Test func confidenceLevel() {
        let a = ConversionStatistic(users: 5000, converters: 400)
        let b = ConversionStatistic(users: 5000, converters: 460)
        let ninetyFive = UpliftEstimate.compare(baseline: a, variation: b)
        let ninetyNine = UpliftEstimate.compare(baseline: a, variation: b, alpha: 0.01)
        #expect(ninetyNine.lower < ninetyFive.lower && ninetyNine.upper > ninetyFive.upper)
        #expect(Self.close((ninetyFive.lower + ninetyFive.upper) / 2, ninetyFive.uplift))
        #expect(ninetyFive.pValue == ninetyNine.pValue)
    }
}
