import EmbeddedPostgres
import Foundation

#if canImport(Glibc)
    import Glibc
#endif
import SluiceHangGuard
import Testing

/// The `sluice` binary that `swift build --build-tests` puts beside the test bundle, run as a user runs it.
package enum SluiceBinary {
    package static var path: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("sluice").path
    }

    package struct Run: Sendable {
        package let status: Int32
        package let output: String
        /// The lines of `sluice: error: …` the run printed.
        package var errorLines: [Substring] { output.split(separator: "\n").filter { $0.hasPrefix("sluice: error:") } }
    }

    /// Runs the binary to its end with extra environment variables and without the caller's
    /// `SLUICE_DATABASE_URL`, waiting off the cooperative pool; a run still going after ``HangGuard/limit`` is
    /// killed and reported as hung.
    package static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> Run {
        try await finish(try start(["-u", "SLUICE_DATABASE_URL"] + environment.map { "\($0.key)=\($0.value)" }, arguments))
    }

    /// Waits for a started run to end; see ``run(_:environment:)``.
    package static func finish(_ process: BackgroundProcess) async throws -> Run {
        Run(status: try await process.finished(), output: process.log)
    }

    /// Starts the binary in the background with `environment` added to this process's.
    package static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> BackgroundProcess {
        try #require(FileManager.default.isExecutableFile(atPath: path), "build it with swift build --build-tests")
        return try BackgroundProcess([path] + arguments, environment: environment)
    }

    /// `/usr/bin/env` with `settings` (`-u NAME`, `NAME=value`) before the binary and its arguments.
    private static func start(_ settings: [String], _ arguments: [String]) throws -> BackgroundProcess {
        try #require(FileManager.default.isExecutableFile(atPath: path), "build it with swift build --build-tests")
        return try BackgroundProcess(["/usr/bin/env"] + settings + [path] + arguments)
    }
}

extension BackgroundProcess {
    /// Waits for the process to exit, polling between sleeps (no thread blocked); its exit code. One still
    /// running after ``HangGuard/limit`` is killed and reported as hung.
    package func finished() async throws -> Int32 {
        var status: Int32?
        do {
            try await HangGuard.wait(for: "the exit of process \(pid)") {
                status = try? wait(timeout: .zero)
                return status != nil
            }
        } catch {
            signal(SIGKILL)
            throw error
        }
        return status ?? -1
    }

    /// The first line of its output containing `text`, polling between sleeps under the hang guard.
    ///
    /// - Throws: ``ChildExited`` when the process ends before printing it; ``Hung``.
    package func line(containing text: String) async throws -> String {
        var found: String?
        try await HangGuard.wait(for: "process \(pid) printing a line with '\(text)'") {
            if let line = log.split(separator: "\n").first(where: { $0.contains(text) }) {
                found = String(line)
                return true
            }
            if let status = try? wait(timeout: .zero) {
                throw ChildExited(description: "it exited (\(status)) before printing '\(text)':\n\(log)")
            }
            return false
        }
        return found ?? ""
    }
}

/// A child process ended before doing what a test waited for.
package struct ChildExited: Error, CustomStringConvertible {
    package let description: String
}
