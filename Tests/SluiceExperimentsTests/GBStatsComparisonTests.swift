import Foundation
import SluiceExperiments
import SluiceTestSupport
import Testing

/// Results equal GrowthBook's own engine: random fixtures (a seeded generator), computed here and by gbstats 0.8.0
/// itself (`scripts/gbstats-results.py`, frequentist, through gbstats' `process_single_metric`), every number
/// compared to 1e-6 (absolute, relative above 1).
@Suite struct GBStatsComparisonTests {
    typealias Fixture = GBStats.Fixture

    /// 60 random experiments of 2 to 4 variations at every scale from a handful of users to millions, plus
    /// gbstats' corner cases: no users, no converters, all converted, one user, a skewed split.
    static func fixtures() -> [Fixture] {
        var random = SplitMix64(seed: 20_261_123)
        var fixtures: [Fixture] = []
        for index in 0..<60 {
            let count = Int.random(in: 2...4, using: &random)
            var weights = BucketRange.equalWeights(count: count)
            if index % 2 == 1 {
                let raw = (0..<count).map { _ in Double.random(in: 0.05...1, using: &random) }
                let total = raw.reduce(0, +)
                weights = raw.map { ($0 / total * 1000).rounded() / 1000 }
                weights[count - 1] = 1 - weights.dropLast().reduce(0, +)
            }
            let scale = [5.0, 200, 5000, 100_000, 2_000_000][index % 5]
            let baseRate = Double.random(in: 0.005...0.4, using: &random)
            let counts = weights.map { weight -> ConversionStatistic in
                let users = Int(
                    (scale * Double(count) * weight * Double.random(in: 0.9...1.1, using: &random)).rounded())
                let rate = min(1, baseRate * Double.random(in: 0.7...1.4, using: &random))
                let converters = Int((Double(users) * rate * Double.random(in: 0.95...1.05, using: &random)).rounded())
                return ConversionStatistic(users: users, converters: min(users, converters))
            }
            fixtures.append(Fixture(weights: weights, counts: counts))
        }
        let corners: [[(Int, Int)]] = [
            [(0, 0), (0, 0)], [(0, 0), (100, 5)], [(100, 5), (0, 0)], [(1000, 0), (1000, 12)],
            [(1000, 30), (1000, 0)], [(40, 40), (40, 20)], [(40, 20), (40, 40)], [(1, 1), (1, 0)], [(2, 1), (2, 1)],
            [(5000, 500), (5400, 540)], [(3, 1), (500, 90), (0, 0)], [(100_000, 1), (100_000, 2)],
        ]
        for corner in corners {
            fixtures.append(
                Fixture(
                    weights: BucketRange.equalWeights(count: corner.count),
                    counts: corner.map { ConversionStatistic(users: $0.0, converters: $0.1) }
                )
            )
        }
        return fixtures
    }

    @Test func resultsEqualGBStats() async throws {
        try #require(
            try await GBStats.isInstalled(),
            "gbstats 0.8.0 is missing: python3 -m pip install gbstats==0.8.0 (scripts/test.sh)"
        )
        let fixtures = Self.fixtures()
        let expected = try await GBStats.run(fixtures)
        try #require(expected.count == fixtures.count)
        var compared = 0
        for (index, (fixture, reference)) in zip(fixtures, expected).enumerated() {
            let definition = try ExperimentDefinition(
                key: "fixture-\(index)",
                variations: (0..<fixture.counts.count).map { .number(JSONNumber(Double($0))!) },
                weights: fixture.weights
            )
            let results = try ExperimentResults.compute(counts: fixture.counts, definition: definition)
            let label = "fixture \(index): \(fixture.counts.map { "\($0.converters)/\($0.users)" })"
            #expect(GBStats.same(results.sampleRatio.pValue, reference["srm"]), "srm, \(label)")
            compared += 1
            let variations = try #require(reference["variations"]?.array)
            try #require(variations.count == results.variations.count)
            for (variation, gbstats) in zip(results.variations, variations) {
                #expect(GBStats.same(Double(variation.statistic.users), gbstats["users"]), "users, \(label)")
                #expect(GBStats.same(variation.statistic.conversionRate, gbstats["cr"]), "cr, \(label)")
                compared += 2
                guard let uplift = variation.uplift else { continue }
                let ci = try #require(gbstats["ci"]?.array)
                #expect(GBStats.same(uplift.uplift, gbstats["expected"]), "uplift, \(label)")
                #expect(GBStats.same(uplift.lower, ci[0]), "ci lower, \(label)")
                #expect(GBStats.same(uplift.upper, ci[1]), "ci upper, \(label)")
                #expect(GBStats.same(uplift.pValue, gbstats["pValue"]), "p-value, \(label)")
                #expect(GBStats.same(uplift.standardError, gbstats["stddev"]), "stddev, \(label)")
                #expect(uplift.problem.map { JSONValue.string($0.rawValue) } ?? .null == gbstats["errorMessage"])
                compared += 6
            }
        }
        // 72 fixtures; every one of their numbers was compared.
        #expect(fixtures.count == 72)
        #expect(compared > 72 * 9)
    }
}
