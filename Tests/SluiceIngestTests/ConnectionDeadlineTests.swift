import Foundation
import SluiceHangGuard
import SluiceTestSupport
import Testing

/// `--idle-timeout`, `--read-timeout`, `--max-connections` and `--max-inflight-requests` through a real server
/// and raw TCP clients: idle, slow and stalled clients are cut off, and the bounds hold back the excess.
///
/// No timing assertions: each test waits for the event itself (the close, the answer) under a hang guard of
/// minutes; the timeouts are short only so that the events come soon.
@Suite(.serialized) struct ConnectionDeadlineTests {
    static let healthz = "GET /healthz HTTP/1.1\r\nHost: sluice\r\n\r\n"

    /// The number on the `/metrics` line that starts with `series`, 0 when the series is absent.
    static func metric(_ series: String, port: Int) async throws -> Double {
        let answer = try await HTTP.get("http://127.0.0.1:\(port)/metrics")
        let line = answer.body.split(separator: "\n").first { $0.hasPrefix(series + " ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
    }

    /// Sends `pieces` one every 100 ms (so a new one always arrives long before any idle timer would fire) until
    /// the server closes the connection; true if it did before the pieces ran out or the hang guard ended.
    static func trickle(_ pieces: [String], to connection: RawConnection) async -> Bool {
        let progress = HangGuard.Progress()
        for piece in pieces where !progress.hung {
            guard connection.send(piece) else { return true }
            if await connection.receive(within: .milliseconds(100)) == .closed { return true }  // allow-timing: the trickle's pace
        }
        return false
    }

    @Test func anIdleKeepAliveConnectionIsClosed() async throws {
        let harness = try await offThePool { try IngestHarness(label: "idle") }
        defer { harness.removeSpool() }
        try await harness.withServer({ $0.idleTimeout = .seconds(1) }) { server in
            let connection = try RawConnection(port: server.port)
            connection.send(Self.healthz)
            #expect(try await connection.readResponse().hasPrefix("HTTP/1.1 200"))
            // Keep-alive: the server keeps it open until it has been idle for the timeout.
            try await connection.waitForClose()

            let silent = try RawConnection(port: server.port)
            try await silent.waitForClose()
        }
    }

    @Test func aSlowlorisTricklingItsHeadIsCut() async throws {
        let harness = try await offThePool { try IngestHarness(label: "slowhead") }
        defer { harness.removeSpool() }
        // The idle timeout far away, so only the read timeout can be what closes the connection.
        try await harness.withServer({
            $0.readTimeout = .seconds(2)
            $0.idleTimeout = .seconds(3600)
        }) { server in
            let series = #"sluice_connections_closed_total{reason="read_timeout"}"#
            let before = try await Self.metric(series, port: server.port)
            let connection = try RawConnection(port: server.port)
            let head = "POST /v1/batch HTTP/1.1\r\nHost: sluice\r\nX-Padding: " + String(repeating: "a", count: 100_000)
            let cut = await Self.trickle(head.map(String.init), to: connection)
            #expect(cut, "the server hung: a trickled head was never cut off")
            #expect(try await Self.metric(series, port: server.port) > before)
        }
    }

    @Test func aBodyTrickledAByteAtATimeIsCut() async throws {
        let harness = try await offThePool { try IngestHarness(label: "slowbody") }
        defer { harness.removeSpool() }
        try await harness.withServer({
            $0.readTimeout = .seconds(2)
            $0.idleTimeout = .seconds(3600)
        }) { server in
            let connection = try RawConnection(port: server.port)
            let token = Data("\(harness.writeKey):".utf8).base64EncodedString()
            connection.send(
                "POST /v1/batch HTTP/1.1\r\nHost: sluice\r\nAuthorization: Basic \(token)\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"batch\":["
            )
            let cut = await Self.trickle(Array(repeating: " ", count: 100_000), to: connection)
            #expect(cut, "the server hung: a trickled body was never cut off")
        }
    }

    @Test func theReadTimeoutCountsFromEachRequestNotFromTheConnection() async throws {
        let harness = try await offThePool { try IngestHarness(label: "keepalive") }
        defer { harness.removeSpool() }
        try await harness.withServer({
            $0.readTimeout = .seconds(1)
            $0.idleTimeout = .seconds(3600)
        }) { server in
            let connection = try RawConnection(port: server.port)
            connection.send(Self.healthz)
            #expect(try await connection.readResponse().hasPrefix("HTTP/1.1 200"))
            // Idle between requests for longer than the read timeout: that is the idle timeout's business.
            try await Task.sleep(for: .seconds(3))  // allow-timing: a gap longer than the read timeout under test
            #expect(connection.send(Self.healthz))
            #expect(try await connection.readResponse().hasPrefix("HTTP/1.1 200"))
        }
    }

    @Test func connectionsOverTheBoundWaitUntilOneCloses() async throws {
        let harness = try await offThePool { try IngestHarness(label: "maxconn") }
        defer { harness.removeSpool() }
        try await harness.withServer({ $0.maxConnections = 2 }) { server in
            var held = [try RawConnection(port: server.port), try RawConnection(port: server.port)]
            for connection in held {
                connection.send(Self.healthz)
                #expect(try await connection.readResponse().hasPrefix("HTTP/1.1 200"))
            }
            // The third connects (the kernel's backlog takes it) but is not served while two are open.
            let third = try RawConnection(port: server.port)
            third.send(Self.healthz)
            // A window in which the bound must hold: a slow machine can only make this pass, never fail.
            let early = await third.receive(within: .seconds(2))  // allow-timing: the window above
            #expect(early == .nothing, "a third connection was served past the bound")
            held.removeFirst()  // Closes it.
            #expect(try await third.readResponse().hasPrefix("HTTP/1.1 200"))
            _ = held
        }
    }

    @Test func requestsOverTheInflightBoundAre503WithRetryAfter() async throws {
        let harness = try await offThePool { try IngestHarness(label: "inflight") }
        defer { harness.removeSpool() }
        try await harness.withServer({
            $0.maxInflightRequests = 1
            $0.readTimeout = .seconds(3600)
        }) { server in
            // Holds the only permit: its head is in, its body is not.
            let body = Events.batch([Events.track("held-1")])
            let token = Data("\(harness.writeKey):".utf8).base64EncodedString()
            let holder = try RawConnection(port: server.port)
            holder.send(
                "POST /v1/batch HTTP/1.1\r\nHost: sluice\r\nAuthorization: Basic \(token)\r\n"
                    + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
                    + body.prefix(5)
            )
            var refused: HTTPAnswer?
            var attempt = 0
            try await HangGuard.wait(for: "a request refused while the only permit is held") {
                attempt += 1
                let answer = try await HTTP.post(
                    "\(server.baseURL)/v1/batch", json: Events.batch([Events.track("other-\(attempt)")]),
                    writeKey: harness.writeKey
                )
                if answer.status == 503 { refused = answer }
                return refused != nil
            }
            let answer = try #require(refused)
            #expect(answer.headers["retry-after"] == "1")
            #expect((answer.json?["error"] as? [String: Any])?["code"] as? String == "overloaded")
            // The holder finishes and is answered: its permit was never lost.
            holder.send(String(body.dropFirst(5)))
            #expect(try await holder.readResponse().hasPrefix("HTTP/1.1 200"))
        }
    }
}
