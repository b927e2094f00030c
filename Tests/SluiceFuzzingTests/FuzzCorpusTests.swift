import Foundation
import SluiceFuzzing
import Testing

/// The fuzz targets' checks over the committed corpus (the seeds, and every input a fuzzer found; see
/// docs/fuzzing.md): no input breaks an invariant, and the seeds do what they were written to do, so the checks
/// are known to reach the code they guard.
@Suite struct FuzzCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz/corpus")

    static func inputs(_ target: String) throws -> [(name: String, bytes: [UInt8])] {
        let directory = corpus.appendingPathComponent(target)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        return try names.map { ($0, Array(try Data(contentsOf: directory.appendingPathComponent($0)))) }
    }

    static func input(_ target: String, _ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: corpus.appendingPathComponent(target).appendingPathComponent(name)))
    }

    @Test func everyRequestInTheCorpusPassesTheChecks() throws {
        let inputs = try Self.inputs("request")
        #expect(inputs.count >= 16)
        for input in inputs {
            #expect(throws: Never.self, "\(input.name)") { try RequestPathCheck.run(RequestInput(input.bytes)) }
        }
    }

    @Test func theRequestSeedsReachTheEncoder() throws {
        for name in ["batch-identity", "batch-gzip", "batch-zstd"] {
            #expect(try RequestPathCheck.run(RequestInput(Self.input("request", name))) == 6, "\(name)")
        }
        #expect(try RequestPathCheck.run(RequestInput(Self.input("request", "batch-gzip-many"))) == 300)
        // Two valid events around nine invalid ones, of which the one from the far future is kept (clamped).
        #expect(try RequestPathCheck.run(RequestInput(Self.input("request", "batch-mixed-invalid"))) == 3)
        for refused in ["bomb-gzip", "bomb-zstd", "encoding-br", "auth-bearer", "malformed-json", "deep-nesting"] {
            #expect(try RequestPathCheck.run(RequestInput(Self.input("request", refused))) == 0, "\(refused)")
        }
    }

    @Test func requestInputRoundTripsItsText() {
        let input = RequestInput(
            endpoint: "batch", contentEncoding: "gzip", authorization: "Basic eDo=", country: nil, body: [1, 10, 2]
        )
        #expect(RequestInput(input.bytes) == input)
        #expect(RequestInput([UInt8]("track".utf8)).endpoint == "track")
        #expect(RequestInput([UInt8]("track".utf8)).body.isEmpty)
    }

    @Test func everySpoolFileInTheCorpusPassesTheChecks() throws {
        let check = try SpoolFileCheck()
        let inputs = try Self.inputs("spool")
        #expect(inputs.count >= 10)
        for input in inputs {
            #expect(throws: Never.self, "\(input.name)") { try check.run(input.bytes) }
        }
    }

    @Test func theSpoolSeedsReachTheReader() throws {
        let check = try SpoolFileCheck()
        #expect(try check.run(Self.input("spool", "three-records")) == 3)
        #expect(try check.run(Self.input("spool", "torn-header")) == 2)
        // With a later segment, the same torn record is damage: the reader stops at it with an error.
        #expect(try check.run(Self.input("spool", "torn-header-successor")) == 2)
        #expect(try check.run(Self.input("spool", "damage-then-intact")) == 1)
        #expect(try check.run(Self.input("spool", "crc-ok-not-zstd")) == 1)
        #expect(try check.run(Self.input("spool", "empty")) == 0)
    }
}
