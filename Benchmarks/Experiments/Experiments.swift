// Benchmarks for experiment assignment: `ExperimentDefinition.assign`, which the variant endpoint calls once per
// request and the assignments job once per person, with GrowthBook's bucketing (FNV-1a over UTF-16 code units).
//
// Three definitions: the plain default (hash version 1, two variations), hash version 2 (two FNV rounds), and
// hash version 2 with everything an assignment can check (a namespace slice, 80% coverage, targeting on country
// and device). Users are 10,000 ids in the form SDKs send (random v4 UUIDs, 36 characters), each with a country
// and a device, prepared before the measured loop from a fixed seed; each iteration assigns 1,000 of them
// (scaling factor `.kilo`), so the throughput column reads as assignments per second and *Malloc (total)* as
// allocations per assignment.

import Benchmark
import BenchmarkSupport
import SluiceExperiments

/// Assignments per iteration; must equal the scaling factor so that throughput counts assignments.
private let assignmentsPerIteration = BenchmarkScalingFactor.kilo.rawValue

/// Users to cycle through: enough to be realistic ids, few enough to stay in cache.
private let userCount = 10 * assignmentsPerIteration

private let countries = ["US", "DE", "GB", "FR", "IN", "BR", "CA", "JP"]
private let devices = ["desktop", "mobile", "tablet", "bot"]

private let users: [ExperimentAttributes] = (0..<UInt64(userCount)).map { number in
    ExperimentAttributes(
        userId: syntheticUUID(number), country: countries[Int(number % 8)], device: devices[Int(number / 8 % 4)]
    )
}

private func definition(_ text: String) -> ExperimentDefinition {
    do {
        return try ExperimentDefinition(jsonText: text)
    } catch {
        fatalError("bad benchmark definition: \(error)")
    }
}

/// Assigns the iteration's 1,000 users and reports a benchmark error unless `expectedIn` of them are in (checked
/// outside the measurement, and keeping the loop's results alive).
private func assignAll(_ definition: ExperimentDefinition, _ benchmark: Benchmark, expectedIn: ClosedRange<Int>) {
    let first = (benchmark.currentIteration % (userCount / assignmentsPerIteration)) * assignmentsPerIteration
    var inExperiment = 0
    var variants = 0
    for index in benchmark.scaledIterations {
        let assignment = definition.assign(users[first + index])
        if assignment.inExperiment { inExperiment += 1 }
        variants &+= assignment.variant
    }
    benchmark.stopMeasurement()
    blackHole(variants)
    if !expectedIn.contains(inExperiment) {
        benchmark.error("\(inExperiment) of \(assignmentsPerIteration) users in the experiment, expected \(expectedIn)")
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        warmupIterations: 10,
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 100_000
    )

    let plain = definition(#"{"key":"checkout-v2","variations":["control","treatment"]}"#)
    Benchmark("assign, hash version 1 (1K users)") { benchmark in
        assignAll(plain, benchmark, expectedIn: 1000...1000)
    }

    let version2 = definition(#"{"key":"checkout-v2","variations":["control","treatment"],"hashVersion":2}"#)
    Benchmark("assign, hash version 2 (1K users)") { benchmark in
        assignAll(version2, benchmark, expectedIn: 1000...1000)
    }

    let everything = definition(
        """
        {"key":"checkout-v2","variations":["control","treatment","blue"],"weights":[0.5,0.25,0.25],"hashVersion":2,
         "coverage":0.8,"namespace":["checkout",0,0.6],
         "targeting":{"country":["US","DE","GB","FR","IN","BR"],"device":{"not":["bot"]}}}
        """
    )
    // About 0.6 × 0.8 × 6/8 × 3/4 = 27% of users are in.
    Benchmark("assign, hash version 2, namespace + coverage + targeting (1K users)") { benchmark in
        assignAll(everything, benchmark, expectedIn: 150...400)
    }
}
