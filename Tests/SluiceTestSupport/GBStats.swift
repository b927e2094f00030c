import EmbeddedPostgres
import Foundation
import SluiceExperiments

/// GrowthBook's own stats engine, gbstats 0.8.0 (frequentist), run through `scripts/gbstats-results.py`, for
/// tests that compare Sluice's results with it. Needs `python3 -m pip install gbstats==0.8.0` (scripts/test.sh).
public enum GBStats {
    /// One experiment: the weights and, per variation, the users and converters.
    public struct Fixture: Sendable {
        public var weights: [Double]
        public var counts: [ConversionStatistic]

        public init(weights: [Double], counts: [ConversionStatistic]) {
            self.weights = weights
            self.counts = counts
        }
    }

    public static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/gbstats-results.py").path

    /// Whether Python has gbstats 0.8.0 (the version the comparisons are against).
    public static func isInstalled() async throws -> Bool {
        try await onOwnThread {
            try ChildProcess.run([
                "/usr/bin/env", "python3", "-c",
                "import gbstats, importlib.metadata as m, sys; sys.exit(m.version('gbstats') != '0.8.0')",
            ])
        }.status == 0
    }

    /// Runs gbstats on `fixtures`: one entry per fixture, as `scripts/gbstats-results.py` describes it
    /// (`{"srm": p, "variations": [{"users", "cr", "expected", "ci", "pValue", "stddev", "errorMessage"}]}`).
    /// The script runs on a thread of its own, off Swift's cooperative pool.
    /// - Throws: ``Failure`` when the script fails or writes something else than one entry per fixture.
    public static func run(_ fixtures: [Fixture]) async throws -> [JSONValue] {
        func numbers(_ values: [Double]) -> JSONValue { .array(values.map { .number(JSONNumber($0)!) }) }
        let input = JSONValue.object([
            JSONMember(
                "fixtures",
                .array(
                    fixtures.map { fixture in
                        .object([
                            JSONMember("weights", numbers(fixture.weights)),
                            JSONMember("users", numbers(fixture.counts.map { Double($0.users) })),
                            JSONMember("converters", numbers(fixture.counts.map { Double($0.converters) })),
                        ])
                    }
                )
            )
        ])
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("sluice-gbstats-\(getpid())-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let inputPath = directory.appendingPathComponent("fixtures.json").path
        let outputPath = directory.appendingPathComponent("gbstats.json").path
        try input.jsonText.write(toFile: inputPath, atomically: true, encoding: .utf8)
        let command = ["/usr/bin/env", "python3", script, inputPath, outputPath]
        let run = try await onOwnThread { try ChildProcess.run(command) }
        guard run.status == 0 else { throw Failure("gbstats-results.py failed: \(run.output)") }
        let output = try JSONValue(parsing: try String(contentsOfFile: outputPath, encoding: .utf8))
        guard case .array(let entries) = output, entries.count == fixtures.count else {
            throw Failure("gbstats-results.py wrote no entry per fixture: \(output.jsonText.prefix(200))")
        }
        return entries
    }

    /// `a` equals gbstats' `b` to 1e-6, absolutely or, above 1 in magnitude, relatively.
    public static func same(_ a: Double, _ b: JSONValue?) -> Bool {
        guard case .number(let number)? = b else { return false }
        return abs(a - number.value) <= 1e-6 * max(1, abs(number.value))
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// Waiting for a child process holds a thread: not one of the cooperative pool's, which every async test
    /// shares.
    private static func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }
}
