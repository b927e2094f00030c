import EmbeddedPostgres
import Foundation
import SluiceHangGuard
import SluiceTestSupport
import Testing

/// The built `sluice serve` with clients that misbehave at shutdown, and its connection options: each has an
/// environment variable, the option wins over it, and a bad value is bad usage (exit 64).
///
@Suite(.serialized) struct ServeConnectionOptionsTests {
    /// `sluice serve` on `setup`'s database and spool with `arguments`; returns it and its port.
    static func serve(
        _ setup: CrashRecoveryTests.Setup, _ arguments: [String], environment: [String: String] = [:]
    ) async throws -> (BackgroundProcess, Int) {
        let process = try BackgroundProcess(
            [
                SluiceBinary.path, "serve", "--port", "0", "--spool-dir", setup.spool, "--no-jobs",
                "--database-url", setup.databaseURL,
            ] + arguments,
            environment: environment
        )
        let listening = try await process.line(containing: "listening on http://")
        let address = try #require(listening.split(separator: " ").first { $0.hasPrefix("http://") })
        return (process, try #require(Int(address.split(separator: ":").last ?? "")))
    }

    @Test func sigtermWithAClientStuckMidRequestStillExitsZero() async throws {
        let setup = try await offThePool { try CrashRecoveryTests.setup("stuckclient") }
        defer { try? FileManager.default.removeItem(atPath: setup.spool) }
        // A read timeout far beyond the deadline: only the shutdown deadline can free the stuck connection.
        let (server, port) = try await Self.serve(
            setup, ["--shutdown-deadline", "2", "--read-timeout", "3600", "--idle-timeout", "3600"],
            environment: ["SLUICE_LOG_LEVEL": "warning"]
        )
        let stuck = try RawConnection(port: port)
        // One whole request first, so the server has surely accepted this connection before the signal.
        stuck.send(ConnectionDeadlineTests.healthz)
        #expect(try await stuck.readResponse().hasPrefix("HTTP/1.1 200"))
        let token = Data("\(setup.writeKey):".utf8).base64EncodedString()
        stuck.send(
            "POST /v1/batch HTTP/1.1\r\nHost: sluice\r\nAuthorization: Basic \(token)\r\n"
                + "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"batch\":["
        )
        server.signal(SIGTERM)
        // The deadline is 2 s (plus 5 s of grace for each blocked wait); the guard is minutes, for a busy machine.
        let status = try await server.finished()
        #expect(status == 0, "\(server.log)")
        #expect(server.log.contains("gave up on a client still holding its connection open"), "\(server.log)")
        try await stuck.waitForClose()
    }

    /// The connection settings line of a server started with `arguments` and `environment`.
    static func connectionSettings(_ arguments: [String], environment: [String: String]) async throws -> String {
        let setup = try await offThePool { try CrashRecoveryTests.setup("options") }
        defer { try? FileManager.default.removeItem(atPath: setup.spool) }
        let (process, _) = try await serve(setup, ["--log-level", "info"] + arguments, environment: environment)
        let settings = try await process.line(containing: "HTTP connections:")
        process.signal(SIGTERM)
        _ = try await process.finished()
        return settings
    }

    @Test func eachConnectionOptionHasAVariableAndTheOptionWins() async throws {
        let environment = [
            "SLUICE_IDLE_TIMEOUT": "71", "SLUICE_READ_TIMEOUT": "72", "SLUICE_MAX_CONNECTIONS": "73",
            "SLUICE_MAX_INFLIGHT_REQUESTS": "74",
        ]
        let fromEnvironment = try await Self.connectionSettings([], environment: environment)
        #expect(fromEnvironment.contains("idle timeout 71 s, read timeout 72 s, at most 73 open and 74 requests"))
        let fromOptions = try await Self.connectionSettings(
            ["--idle-timeout", "81", "--read-timeout", "82", "--max-connections", "83", "--max-inflight-requests", "84"],
            environment: environment
        )
        #expect(fromOptions.contains("idle timeout 81 s, read timeout 82 s, at most 83 open and 84 requests"))
        let defaults = try await Self.connectionSettings([], environment: [:])
        #expect(defaults.contains("idle timeout 60 s, read timeout 30 s, at most 1024 open and 128 requests"))
    }

    /// The exit status of `sluice serve` with bad connection settings (it stops before touching a database).
    static func status(_ arguments: [String], environment: [String: String] = [:]) async throws -> Int32 {
        let process = try BackgroundProcess(
            [SluiceBinary.path, "serve", "--database-url", "postgresql://127.0.0.1:1/none"] + arguments,
            environment: environment
        )
        return try await process.finished()
    }

    @Test func badConnectionSettingsExit64() async throws {
        #expect(try await Self.status(["--idle-timeout", "0"]) == 64)
        #expect(try await Self.status(["--read-timeout", "-3"]) == 64)
        #expect(try await Self.status(["--max-connections", "many"]) == 64)
        #expect(try await Self.status(["--max-inflight-requests", "0"]) == 64)
        #expect(try await Self.status([], environment: ["SLUICE_IDLE_TIMEOUT": "soon"]) == 64)
        #expect(try await Self.status([], environment: ["SLUICE_READ_TIMEOUT": "0"]) == 64)
        #expect(try await Self.status([], environment: ["SLUICE_MAX_CONNECTIONS": "-1"]) == 64)
        #expect(try await Self.status([], environment: ["SLUICE_MAX_INFLIGHT_REQUESTS": "x"]) == 64)
    }
}
