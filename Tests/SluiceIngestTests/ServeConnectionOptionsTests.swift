import EmbeddedPostgres
import Foundation
import Testing

/// The built `sluice serve` with clients that misbehave at shutdown, and its connection options: each has an
/// environment variable, the option wins over it, and a bad value is bad usage (exit 64).
@Suite(.serialized) struct ServeConnectionOptionsTests {
    @Test func sigtermWithAClientStuckMidRequestStillExitsZero() async throws {
        let setup = try CrashRecoveryTests.setup("stuckclient")
        defer { try? FileManager.default.removeItem(atPath: setup.spool) }
        // A read timeout far beyond the deadline: only the shutdown deadline can free the stuck connection.
        let (server, url) = try CrashRecoveryTests.serve(
            setup, extra: ["--shutdown-deadline", "2", "--read-timeout", "3600", "--idle-timeout", "3600"]
        )
        let port = try #require(Int(url.split(separator: ":").last ?? ""))
        let stuck = try RawConnection(port: port)
        // One whole request first, so the server has surely accepted this connection before the signal.
        stuck.send(ConnectionDeadlineTests.healthz)
        #expect(try stuck.readResponse().hasPrefix("HTTP/1.1 200"))
        let token = Data("\(setup.writeKey):".utf8).base64EncodedString()
        stuck.send(
            "POST /v1/batch HTTP/1.1\r\nHost: sluice\r\nAuthorization: Basic \(token)\r\n"
                + "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"batch\":["
        )
        server.signal(SIGTERM)
        // The deadline is 2 s (plus 5 s of grace for each blocked wait); the guard is minutes, for a busy machine.
        let status = try server.wait(timeout: .seconds(180))
        #expect(status == 0, "\(server.log)")
        #expect(server.log.contains("gave up on a client still holding its connection open"), "\(server.log)")
        try stuck.waitForClose()
    }

    /// The connection settings line of a server started with `arguments` and `environment`.
    static func connectionSettings(_ arguments: [String], environment: [String: String]) throws -> String {
        let setup = try CrashRecoveryTests.setup("options")
        defer { try? FileManager.default.removeItem(atPath: setup.spool) }
        let process = try BackgroundProcess(
            [
                CrashRecoveryTests.binary, "serve", "--port", "0", "--spool-dir", setup.spool, "--no-jobs",
                "--database-url", setup.databaseURL, "--log-level", "info",
            ] + arguments,
            environment: environment
        )
        defer {
            process.signal(SIGTERM)
            _ = try? process.wait()
        }
        _ = try process.waitForLine(containing: "listening on http://")
        return try process.waitForLine(containing: "HTTP connections:")
    }

    @Test func eachConnectionOptionHasAVariableAndTheOptionWins() throws {
        let environment = [
            "SLUICE_IDLE_TIMEOUT": "71", "SLUICE_READ_TIMEOUT": "72", "SLUICE_MAX_CONNECTIONS": "73",
            "SLUICE_MAX_INFLIGHT_REQUESTS": "74",
        ]
        let fromEnvironment = try Self.connectionSettings([], environment: environment)
        #expect(fromEnvironment.contains("idle timeout 71 s, read timeout 72 s, at most 73 open and 74 requests"))
        let fromOptions = try Self.connectionSettings(
            ["--idle-timeout", "81", "--read-timeout", "82", "--max-connections", "83", "--max-inflight-requests", "84"],
            environment: environment
        )
        #expect(fromOptions.contains("idle timeout 81 s, read timeout 82 s, at most 83 open and 84 requests"))
        let defaults = try Self.connectionSettings([], environment: [:])
        #expect(defaults.contains("idle timeout 60 s, read timeout 30 s, at most 1024 open and 128 requests"))
    }

    /// The exit status of `sluice serve` with bad connection settings (it stops before touching a database).
    static func status(_ arguments: [String], environment: [String: String] = [:]) throws -> Int32 {
        let process = try BackgroundProcess(
            [CrashRecoveryTests.binary, "serve", "--database-url", "postgresql://127.0.0.1:1/none"] + arguments,
            environment: environment
        )
        return try process.wait(timeout: .seconds(120))
    }

    @Test func badConnectionSettingsExit64() throws {
        #expect(try Self.status(["--idle-timeout", "0"]) == 64)
        #expect(try Self.status(["--read-timeout", "-3"]) == 64)
        #expect(try Self.status(["--max-connections", "many"]) == 64)
        #expect(try Self.status(["--max-inflight-requests", "0"]) == 64)
        #expect(try Self.status([], environment: ["SLUICE_IDLE_TIMEOUT": "soon"]) == 64)
        #expect(try Self.status([], environment: ["SLUICE_READ_TIMEOUT": "0"]) == 64)
        #expect(try Self.status([], environment: ["SLUICE_MAX_CONNECTIONS": "-1"]) == 64)
        #expect(try Self.status([], environment: ["SLUICE_MAX_INFLIGHT_REQUESTS": "x"]) == 64)
    }
}
