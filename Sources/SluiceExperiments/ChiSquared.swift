/// The chi-squared distribution with k degrees of freedom, for the sample-ratio-mismatch test.
public struct ChiSquared: Sendable, Equatable {
    public let degreesOfFreedom: Double

    public init(degreesOfFreedom: Double) {
        self.degreesOfFreedom = degreesOfFreedom
    }

    /// P(X > x), SciPy's `chi2.sf(x, k)`: Q(k/2, x/2), the regularized upper incomplete gamma function.
    public func survival(_ x: Double) -> Double {
        guard x > 0 else { return x.isNaN ? .nan : 1 }
        return SpecialFunctions.regularizedUpperIncompleteGamma(degreesOfFreedom / 2, x / 2)
    }
}
