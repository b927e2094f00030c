import SluiceExperiments
import Testing

/// The sample-ratio-mismatch check: p-values equal gbstats' `check_srm` (printed by gbstats 0.8.0), verdicts
/// GrowthBook's (p < 0.001, at least 8 users per variation in total).
@Suite struct SampleRatioCheckTests {
    static func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-12 * max(abs(b), 1e-300) }

    /// 5,400 against 5,000 on a 50/50 split is a mismatch (χ² = 15.4, p ≈ 9e-5), however good the results look.
    @Test func skewedSplitIsFlagged() {
        let check = SampleRatioCheck(users: [5000, 5400], weights: [0.5, 0.5])
        #expect(Self.close(check.pValue, 8.769942375590228e-05))
        #expect(check.status == .unhealthy && check.isMismatch)

        let four = SampleRatioCheck(users: [10100, 9900, 10400, 9600], weights: [0.25, 0.25, 0.25, 0.25])
        #expect(Self.close(four.pValue, 1.9811876641985663e-07))
        #expect(four.isMismatch)
    }

    /// A split within chance of its weights is healthy, even at p = 0.029 or 0.0013 (above the 0.001 threshold).
    @Test func healthySplitIsNotFlagged() {
        let cases: [([Int], [Double], Double)] = [
            ([2000, 3000, 5000], [0.2, 0.3, 0.5], 1.0),
            ([2035, 2960, 5005], [0.2, 0.3, 0.5], 0.5624704572840782),
            ([1000, 1100], [0.5, 0.5], 0.029096331741252267),
            ([900, 3100, 6000], [0.1, 0.3, 0.6], 0.0012726338013398079),
        ]
        for (users, weights, pValue) in cases {
            let check = SampleRatioCheck(users: users, weights: weights)
            #expect(Self.close(check.pValue, pValue), "\(users)")
            #expect(check.status == .healthy && !check.isMismatch, "\(users)")
        }
    }

    /// Below 8 users per variation in total GrowthBook does not judge: 0 against 15 is not flagged although
    /// p ≈ 1e-4; 0 against 16 is.
    @Test func tooFewUsersAreNotJudged() {
        let fifteen = SampleRatioCheck(users: [0, 15], weights: [0.5, 0.5])
        #expect(Self.close(fifteen.pValue, 0.00010751117672950066))
        #expect(fifteen.status == .notEnoughTraffic && !fifteen.isMismatch)
        let sixteen = SampleRatioCheck(users: [0, 16], weights: [0.5, 0.5])
        #expect(Self.close(sixteen.pValue, 6.334248366623988e-05))
        #expect(sixteen.status == .unhealthy)
        let none = SampleRatioCheck(users: [0, 0], weights: [0.5, 0.5])
        #expect(none.pValue == 1 && none.status == .notEnoughTraffic)
    }

    /// As gbstats: a variation of weight 0 adds nothing to χ² but its users count in the total, and the degrees
    /// of freedom stay one fewer than the variations.
    @Test func zeroWeightVariation() {
        let check = SampleRatioCheck(users: [100, 100, 50], weights: [0.5, 0.5, 0])
        #expect(Self.close(check.pValue, 0.006737946999085468))
    }
}
