#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The special functions behind the Student-t and chi-squared distributions: log-gamma, log-beta and the
/// regularized incomplete beta and gamma functions, in double precision (relative error around 1e-14 or better
/// where the results are tested against SciPy and mpmath, except the incomplete beta with one huge argument:
/// see ``StudentT``).
///
/// The algorithms are the classical ones: Lanczos' approximation (g = 7, 9 terms) for log-gamma with Stirling's
/// series for the differences of large arguments, and Lentz's method for the continued fractions of the
/// incomplete functions (Press et al., *Numerical Recipes*, 3rd ed., §6.1, §6.2 and §6.4).
public enum SpecialFunctions {
    /// Stops a continued fraction or series once a term changes the result by less than this.
    static let epsilon = 1e-16
    /// Stands in for a zero denominator in Lentz's method.
    static let tiny = 1e-300
    /// Enough iterations for a continued fraction with arguments up to about 10^9 (convergence takes on the
    /// order of √max(a, b) steps near the switch point).
    static let maximumIterations = 200_000

    private static let lanczos: [Double] = [
        0.999_999_999_999_809_93, 676.520_368_121_885_1, -1259.139_216_722_402_8, 771.323_428_777_653_13,
        -176.615_029_162_140_59, 12.507_343_278_686_905, -0.138_571_095_265_720_12, 9.984_369_578_019_571_6e-6,
        1.505_632_735_149_311_6e-7,
    ]

    /// ln Γ(x) for x > 0 (NaN otherwise).
    public static func logGamma(_ x: Double) -> Double {
        guard x > 0 else { return .nan }
        if x < 0.5 {
            // Reflection: Γ(x) Γ(1 − x) = π / sin(πx).
            return log(Double.pi / sin(Double.pi * x)) - logGamma(1 - x)
        }
        let z = x - 1
        var sum = lanczos[0]
        for index in 1..<lanczos.count { sum += lanczos[index] / (z + Double(index)) }
        let t = z + 7.5
        return 0.5 * log(2 * Double.pi) + (z + 0.5) * log(t) - t + log(sum)
    }

    /// Stirling's correction δ(x) = ln Γ(x) − ((x − ½) ln x − x + ½ ln 2π), for x ≥ 10 (error below 1e-13).
    private static func stirlingCorrection(_ x: Double) -> Double {
        let inverse = 1 / x
        let square = inverse * inverse
        return inverse * (1.0 / 12 - square * (1.0 / 360 - square * (1.0 / 1260 - square / 1680)))
    }

    /// ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b) for a, b > 0, without the cancellation of three large
    /// log-gammas when an argument is large (a Welch test's degrees of freedom reach the millions).
    public static func logBeta(_ a: Double, _ b: Double) -> Double {
        let small = min(a, b)
        let large = max(a, b)
        guard large >= 10 else { return logGamma(a) + logGamma(b) - logGamma(a + b) }
        let sum = a + b
        let corrections = stirlingCorrection(large) - stirlingCorrection(sum)
        if small >= 10 {
            return 0.5 * log(2 * Double.pi) - 0.5 * log(large) + (small - 0.5) * log(small / sum)
                - large * log1p(small / large) + corrections + stirlingCorrection(small)
        }
        // ln Γ(large) − ln Γ(large + small) by Stirling, with ln(large / sum) as −log1p(small / large).
        return logGamma(small) - (large - 0.5) * log1p(small / large) - small * log(sum) + small + corrections
    }

    /// The regularized incomplete beta function I_x(a, b) for a, b > 0 and x in [0, 1].
    ///
    /// `complement` must be `1 − x`; give it when it is known more precisely than `x` itself (a Student-t tail
    /// has both as ratios), so that results near 0 and 1 keep their relative precision.
    public static func regularizedIncompleteBeta(_ a: Double, _ b: Double, _ x: Double, complement: Double? = nil)
        -> Double
    {
        let y = complement ?? (1 - x)
        guard a > 0, b > 0, x >= 0, y >= 0 else { return .nan }
        if x == 0 { return 0 }
        if y == 0 { return 1 }
        let logX = x < 0.5 ? log(x) : log1p(-y)
        let logY = y < 0.5 ? log(y) : log1p(-x)
        let front = exp(a * logX + b * logY - logBeta(a, b))
        if x < (a + 1) / (a + b + 2) {
            return front * betaContinuedFraction(a, b, x) / a
        }
        return 1 - front * betaContinuedFraction(b, a, y) / b
    }

    /// The continued fraction of I_x(a, b), converging fast for x < (a + 1) / (a + b + 2); modified Lentz.
    private static func betaContinuedFraction(_ a: Double, _ b: Double, _ x: Double) -> Double {
        func guarded(_ value: Double) -> Double { abs(value) < tiny ? tiny : value }
        var c = 1.0
        var d = 1 / guarded(1 - (a + b) * x / (a + 1))
        var result = d
        for step in 1...maximumIterations {
            let m = Double(step)
            let even = m * (b - m) * x / ((a - 1 + 2 * m) * (a + 2 * m))
            d = 1 / guarded(1 + even * d)
            c = guarded(1 + even / c)
            result *= d * c
            let odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 1 + 2 * m))
            d = 1 / guarded(1 + odd * d)
            c = guarded(1 + odd / c)
            let delta = d * c
            result *= delta
            if abs(delta - 1) < epsilon { break }
        }
        return result
    }

    /// The regularized upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a), for a > 0 and x ≥ 0.
    public static func regularizedUpperIncompleteGamma(_ a: Double, _ x: Double) -> Double {
        guard a > 0, x >= 0 else { return .nan }
        if x == 0 { return 1 }
        if x < a + 1 { return 1 - lowerGammaSeries(a, x) }
        return upperGammaContinuedFraction(a, x)
    }

    /// The regularized lower incomplete gamma function P(a, x) = γ(a, x) / Γ(a) = 1 − Q(a, x).
    public static func regularizedLowerIncompleteGamma(_ a: Double, _ x: Double) -> Double {
        guard a > 0, x >= 0 else { return .nan }
        if x == 0 { return 0 }
        if x < a + 1 { return lowerGammaSeries(a, x) }
        return 1 - upperGammaContinuedFraction(a, x)
    }

    /// P(a, x) by its power series, for x < a + 1.
    private static func lowerGammaSeries(_ a: Double, _ x: Double) -> Double {
        var term = 1 / a
        var sum = term
        var denominator = a
        for _ in 0..<maximumIterations {
            denominator += 1
            term *= x / denominator
            sum += term
            if abs(term) < abs(sum) * epsilon { break }
        }
        return sum * exp(-x + a * log(x) - logGamma(a))
    }

    /// Q(a, x) by its continued fraction (modified Lentz), for x ≥ a + 1.
    private static func upperGammaContinuedFraction(_ a: Double, _ x: Double) -> Double {
        func guarded(_ value: Double) -> Double { abs(value) < tiny ? tiny : value }
        var b = x + 1 - a
        var c = 1 / tiny
        var d = 1 / b
        var result = d
        for step in 1...maximumIterations {
            let i = Double(step)
            let an = -i * (i - a)
            b += 2
            d = 1 / guarded(an * d + b)
            c = guarded(b + an / c)
            let delta = d * c
            result *= delta
            if abs(delta - 1) < epsilon { break }
        }
        return exp(-x + a * log(x) - logGamma(a)) * result
    }
}
