import EmbeddedPostgres
import Foundation
import Testing

/// The `sluice` binary that `swift build --build-tests` puts beside the test bundle, run as a user runs it.
enum SluiceBinary {
    struct Run {
        let status: Int32
        let output: String
        var errorLines: [Substring] { output.split(separator: "\n").filter { $0.hasPrefix("sluice: error:") } }
    }

    /// Runs the binary with `arguments` and extra environment variables, without the caller's database URL.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Run {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("sluice").path
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build it with swift build --build-tests")
        let settings = environment.map { "\($0.key)=\($0.value)" }
        let child = try ChildProcess.run(["/usr/bin/env", "-u", "SLUICE_DATABASE_URL"] + settings + [binary] + arguments)
        return Run(status: child.status, output: child.output)
    }
}
