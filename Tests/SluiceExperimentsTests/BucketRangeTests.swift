import SluiceExperiments
import Testing

/// Bucket ranges, variation choice and equal weights: SPECS.md's vector and every case of GrowthBook's
/// `getBucketRange`, `chooseVariation` and `getEqualWeights`.
@Suite struct BucketRangeTests {
    static func ranges(_ value: JSONValue) throws -> [BucketRange] {
        try #require(value.array).map { pair in
            let bounds = try #require(pair.array)
            return BucketRange(try #require(bounds[0].double), try #require(bounds[1].double))
        }
    }

    static func close(_ a: [BucketRange], _ b: [BucketRange]) -> Bool {
        a.count == b.count
            && zip(a, b).allSatisfy {
                abs($0.lowerBound - $1.lowerBound) < 1e-12 && abs($0.upperBound - $1.upperBound) < 1e-12
            }
    }

    /// SPECS.md: 3 variations, coverage 0.2, weights [0.2, 0.3, 0.5] → [[0, 0.04], [0.2, 0.26], [0.5, 0.6]].
    @Test func specsVector() {
        let ranges = BucketRange.ranges(count: 3, coverage: 0.2, weights: [0.2, 0.3, 0.5])
        #expect(Self.close(ranges, [BucketRange(0, 0.04), BucketRange(0.2, 0.26), BucketRange(0.5, 0.6)]))
    }

    /// `[name, [count, coverage, weights or null], expected ranges]`, fallbacks included (coverage clamped,
    /// weights of the wrong count or sum replaced by equal ones).
    @Test func growthBookGetBucketRangeCases() throws {
        let cases = GrowthBookCases.section("getBucketRange")
        #expect(cases.count == 13)
        for fields in cases {
            let arguments = try #require(fields[1].array)
            let weights = arguments[2].array.map { $0.compactMap(\.double) }
            let ranges = BucketRange.ranges(
                count: Int(try #require(arguments[0].double)), coverage: try #require(arguments[1].double),
                weights: weights
            )
            #expect(Self.close(ranges, try Self.ranges(fields[2])), "\(fields[0])")
        }
    }

    /// `[name, n, ranges, expected index or -1]`.
    @Test func growthBookChooseVariationCases() throws {
        let cases = GrowthBookCases.section("chooseVariation")
        #expect(cases.count == 13)
        for fields in cases {
            let chosen = BucketRange.chooseVariation(try #require(fields[1].double), in: try Self.ranges(fields[2]))
            let expected = Int(try #require(fields[3].double))
            #expect(chosen == (expected < 0 ? nil : expected), "\(fields[0])")
        }
    }

    /// `[count, expected weights]`; GrowthBook's list rounds a third to 8 decimals.
    @Test func growthBookGetEqualWeightsCases() throws {
        let cases = GrowthBookCases.section("getEqualWeights")
        #expect(cases.count == 6)
        for fields in cases {
            let weights = BucketRange.equalWeights(count: Int(try #require(fields[0].double)))
            let expected = try #require(fields[1].array).compactMap(\.double)
            #expect(weights.count == expected.count)
            #expect(zip(weights, expected).allSatisfy { abs($0 - $1) < 1e-8 })
        }
    }

    /// Raising the coverage only adds users: every range grows from the same start.
    @Test func coverageKeepsRangeStarts() {
        let low = BucketRange.ranges(count: 3, coverage: 0.1, weights: [0.5, 0.25, 0.25])
        let high = BucketRange.ranges(count: 3, coverage: 0.9, weights: [0.5, 0.25, 0.25])
        #expect(zip(low, high).allSatisfy { $0.lowerBound == $1.lowerBound && $0.upperBound <= $1.upperBound })
    }
}
