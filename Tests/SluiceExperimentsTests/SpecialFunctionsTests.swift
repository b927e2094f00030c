import SluiceExperiments
import Testing

/// The special functions and distributions against SciPy 1.17.1 (`scipy.special.gammaln`, `betainc`,
/// `gammaincc`, `gammainc`; `scipy.stats.t.cdf`, `t.sf`, `t.ppf`, `chi2.sf`), printed with `repr`.
@Suite struct SpecialFunctionsTests {
    /// |a − b| within `relative` of |b|, or within 1e-300 (for results that underflow alike).
    static func close(_ a: Double, _ b: Double, relative: Double = 1e-12) -> Bool {
        abs(a - b) <= relative * abs(b) || abs(a - b) < 1e-300
    }

    @Test(arguments: [
        (0.5, 0.5723649429247), (1, 0.0), (1.5, -0.12078223763524526), (2, 0.0), (3.7, 1.428072326665388),
        (10, 12.801827480081469), (100.5, 361.43554046777757), (1e5, 1051287.7089736569),
        (2.5e6, 34329496.777633995), (0.001, 6.907178885383853),
    ])
    func logGamma(x: Double, expected: Double) {
        #expect(abs(SpecialFunctions.logGamma(x) - expected) <= 1e-13 * max(1, abs(expected)), "lnΓ(\(x))")
    }

    /// ln B(a, b) against SciPy's `betaln`, including the large arguments of a big Welch test; for B(1e5, ½)
    /// against mpmath at 40 digits (-5.18409653956041412818…), from which SciPy's -5.184096539625898 is 1e-11 off.
    @Test func logBeta() {
        #expect(Self.close(SpecialFunctions.logBeta(1e5, 0.5), -5.184096539560414, relative: 1e-14))
        #expect(Self.close(SpecialFunctions.logBeta(2, 3), -2.4849066497880004))
        #expect(Self.close(SpecialFunctions.logBeta(0.5, 1e5), SpecialFunctions.logBeta(1e5, 0.5), relative: 1e-15))
        #expect(Self.close(SpecialFunctions.logBeta(20, 30), -33.968820791977386, relative: 1e-12))
    }

    @Test(arguments: [
        (0.5, 0.5, 0.5, 0.5000000000000001), (2, 3, 0.4, 0.5247999999999999), (10, 0.5, 0.9, 0.15164090963470994),
        (0.5, 10, 0.01, 0.3420718248432154), (50000, 0.5, 0.99995, 0.025345854168846868), (1, 1, 0.3, 0.3),
        (7.5, 2.25, 0.77, 0.44710146251381705), (200, 300, 0.41, 0.677628164772179),
    ])
    func regularizedIncompleteBeta(a: Double, b: Double, x: Double, expected: Double) {
        #expect(Self.close(SpecialFunctions.regularizedIncompleteBeta(a, b, x), expected, relative: 1e-11))
    }

    @Test(arguments: [
        (0.5, 0.5, 0.31731050786291115, 0.6826894921370859), (1, 2, 0.1353352832366127, 0.8646647167633873),
        (2.5, 1, 0.8491450360846096, 0.15085496391539038), (10, 15, 0.06985366069940986, 0.9301463393005901),
        (0.5, 20, 2.5396285894708634e-10, 0.9999999997460371), (100, 90, 0.84177901081357, 0.15822098918643007),
        (3, 0.01, 0.9999998345783472, 1.6542165280748778e-07), (50, 50, 0.48119168452795674, 0.5188083154720433),
    ])
    func regularizedIncompleteGamma(a: Double, x: Double, upper: Double, lower: Double) {
        #expect(Self.close(SpecialFunctions.regularizedUpperIncompleteGamma(a, x), upper, relative: 1e-11))
        // The lower function is 1 − Q, so it carries Q's absolute error.
        #expect(abs(SpecialFunctions.regularizedLowerIncompleteGamma(a, x) - lower) < 1e-13)
        #expect(Self.close(SpecialFunctions.regularizedLowerIncompleteGamma(3, 0.01), 1.6542165280748778e-07))
    }

    @Test(arguments: [
        (0.0, 1.0, 0.5, 0.5), (1.0, 1, 0.75, 0.25000000000000006), (-2.5, 3, 0.04385332350403278, 0.9561466764959672),
        (2.0, 5, 0.9490302605850708, 0.050969739414929174), (1.96, 30, 0.9703288435519748, 0.029671156448025246),
        (0.5, 2.5, 0.6711510400651426, 0.3288489599348574), (3.7, 7.3, 0.9964478811193237, 0.003552118880676354),
        (-0.1, 12, 0.4609977852284129, 0.5390022147715872), (10.0, 4, 0.999718998188642, 0.0002810018113579955),
        (2.1, 1000, 0.982010562844609, 0.017989437155390985), (1.5, 123456.7, 0.9331915201507539, 0.06680847984924604),
        (-3.2, 2500000, 0.0006871465130352267, 0.9993128534869647),
        (6.0, 50, 0.9999998905530257, 1.0944697425399989e-07),
        (0.01, 1.2, 0.5032901149978659, 0.49670988500213414),
    ])
    func studentTDistribution(t: Double, nu: Double, cdf: Double, sf: Double) {
        let distribution = StudentT(degreesOfFreedom: nu)
        // The incomplete beta's continued fraction loses precision about in proportion to ν (see StudentT).
        let tolerance = nu < 1e6 ? 1e-11 : 1e-9
        #expect(Self.close(distribution.cdf(t), cdf, relative: tolerance), "cdf(\(t), \(nu))")
        #expect(Self.close(distribution.survival(t), sf, relative: tolerance), "sf(\(t), \(nu))")
        #expect(Self.close(distribution.twoSidedTail(t), 2 * min(cdf, sf), relative: tolerance))
    }

    @Test(arguments: [
        (0.975, 1, 12.706204736174694), (0.975, 2, 4.302652729749462), (0.975, 3.5, 2.9400886379827282),
        (0.975, 10, 2.228138851986274), (0.975, 29.7, 2.043137856247257), (0.975, 100, 1.9839715185235518),
        (0.975, 1234.5, 1.9618874833313453), (0.975, 1e6, 1.959966356814107), (0.5, 5, 0.0),
        (0.025, 8, -2.3060041352041662), (0.9, 3, 1.637744353696209), (0.999, 15, 3.7328344253109),
        (1e-6, 4, -41.577854150450975), (0.6, 1.5, 0.30074539256979543), (0.999999, 200, 4.897302102820449),
    ])
    func studentTQuantile(p: Double, nu: Double, expected: Double) {
        let quantile = StudentT(degreesOfFreedom: nu).quantile(p)
        #expect(Self.close(quantile, expected, relative: 1e-11) || (expected == 0 && quantile == 0), "ppf(\(p), \(nu))")
        #expect(StudentT(degreesOfFreedom: nu).quantile(0) == -.infinity)
        #expect(StudentT(degreesOfFreedom: nu).quantile(1) == .infinity)
        #expect(StudentT(degreesOfFreedom: nu).quantile(1.5).isNaN)
    }

    @Test(arguments: [
        (0.0, 1, 1.0), (3.841458820694124, 1, 0.04999999999999989), (10.0, 2, 0.006737946999085468),
        (5.0, 3, 0.1717971442967335), (30.0, 4, 4.894437128029217e-06), (0.5, 1, 0.47950012218695337),
        (100.0, 3, 1.5541594313896026e-21), (16.0, 1, 6.334248366623988e-05),
    ])
    func chiSquaredSurvival(x: Double, k: Double, expected: Double) {
        #expect(Self.close(ChiSquared(degreesOfFreedom: k).survival(x), expected, relative: 1e-11), "sf(\(x), \(k))")
    }
}
