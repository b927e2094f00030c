import CompressNIO
import Foundation
import NIOCore
import SluiceCore
import SluiceHangGuard
import SluicePostgres
import SluiceZstd
import Testing

/// The Segment HTTP API end to end: real HTTP into a real PostgreSQL.
@Suite(.serialized) struct IngestAPITests {
    @Test func everyCallTypeIsStoredWithItsFields() async throws {
        let harness = try IngestHarness(label: "calls")
        defer { harness.removeSpool() }
        try await harness.withServer { server in
            let calls: [(String, String)] = [
                ("track", #"{"messageId":"m-track","userId":"u1","event":"Order Completed","properties":{"total":42.5}}"#),
                ("page", #"{"messageId":"m-page","anonymousId":"a1","name":"Pricing","properties":{"path":"/pricing","url":"https://shop.example/pricing?utm_source=news","referrer":"https://www.google.com/search?q=x"}}"#),
                ("screen", #"{"messageId":"m-screen","userId":"u1","name":"Home"}"#),
                ("identify", #"{"messageId":"m-identify","userId":"u1","traits":{"email":"a@example.com"}}"#),
                ("group", #"{"messageId":"m-group","userId":"u1","groupId":"g1","traits":{"name":"Acme"}}"#),
                ("alias", #"{"messageId":"m-alias","userId":"u1","previousId":"a1"}"#),
            ]
            for (type, body) in calls {
                let answer = try await HTTP.post("\(server.baseURL)/v1/\(type)", json: body, writeKey: harness.writeKey)
                #expect(answer.status == 200, "\(type): \(answer.body)")
                #expect(answer.body == #"{"success":true}"#)
            }
            try await server.waitUntilLoaded()
        }
        let result = try harness.connection().query(
            """
            SELECT message_id, type, event, user_id, anonymous_id, group_id, previous_id, page_path, referrer_host,
                   utm_source, properties::text, traits::text
            FROM analytics.events ORDER BY message_id
            """
        )
        var rows: [String: [String?]] = [:]
        for row in 0..<result.rowCount {
            rows[result.string(row, 0)!] = (0..<result.columnCount).map { result.string(row, $0) }
        }
        // Columns: 1 type, 2 event, 3 user_id, 4 anonymous_id, 5 group_id, 6 previous_id, 7 page_path,
        // 8 referrer_host, 9 utm_source, 10 properties, 11 traits.
        #expect(rows.count == 6)
        #expect(rows["m-track"]?[1] == "track")
        #expect(rows["m-track"]?[2] == "Order Completed")
        #expect(rows["m-track"]?[10].map { $0.contains("42.5") } == true)
        #expect(rows["m-page"]?[2] == "Pricing")
        #expect(rows["m-page"]?[4] == "a1")
        #expect(rows["m-page"]?[7] == "/pricing")
        #expect(rows["m-page"]?[8] == "google.com")
        #expect(rows["m-page"]?[9] == "news")
        #expect(rows["m-screen"]?[2] == "Home")
        #expect(rows["m-identify"]?[11].map { $0.contains("a@example.com") } == true)
        #expect(rows["m-group"]?[5] == "g1")
        #expect(rows["m-alias"]?[6] == "a1")
    }

    @Test func bothAuthStylesAndWrongKeys() async throws {
        let harness = try IngestHarness(label: "auth")
        defer { harness.removeSpool() }
        try await harness.withServer { server in
            let url = "\(server.baseURL)/v1/batch"
            let basic = try await HTTP.post(url, json: Events.batch([Events.track("a-1")]), writeKey: harness.writeKey)
            #expect(basic.status == 200)
            let inBody = try await HTTP.post(
                url, json: Events.batch([Events.track("a-2")], extra: #","writeKey":"\#(harness.writeKey)""#)
            )
            #expect(inBody.status == 200)
            let wrong = try await HTTP.post(url, json: Events.batch([Events.track("a-3")]), writeKey: "wk_nope")
            #expect(wrong.status == 401)
            #expect((wrong.json?["error"] as? [String: Any])?["code"] as? String == "unauthorized")
            #expect(wrong.json?["success"] as? Bool == false)
            let wrongInBody = try await HTTP.post(
                url, json: Events.batch([Events.track("a-4")], extra: #","writeKey":"wk_nope""#)
            )
            #expect(wrongInBody.status == 401)
            let none = try await HTTP.post(url, json: Events.batch([Events.track("a-5")]))
            #expect(none.status == 401)
            try await server.waitUntilLoaded()
        }
        #expect(try harness.messageCounts() == ["a-1": 1, "a-2": 1])
    }

    @Test func gzipAndZstdBodies() async throws {
        let harness = try IngestHarness(label: "encodings")
        defer { harness.removeSpool() }
        try await harness.withServer { server in
            let url = "\(server.baseURL)/v1/batch"
            var plain = ByteBuffer(string: Events.batch([Events.track("gz-1"), Events.track("gz-2")]))
            let gzipped = try plain.compress(with: .gzip())
            let gzipAnswer = try await HTTP.post(
                url, body: Array(gzipped.readableBytesView), headers: ["Content-Encoding": "gzip"],
                writeKey: harness.writeKey
            )
            #expect(gzipAnswer.status == 200, "\(gzipAnswer.body)")

            let zstd = try ZstdCompressor.compress(Array(Events.batch([Events.track("zs-1")]).utf8))
            let zstdAnswer = try await HTTP.post(
                url, body: zstd, headers: ["Content-Encoding": "zstd"], writeKey: harness.writeKey
            )
            #expect(zstdAnswer.status == 200, "\(zstdAnswer.body)")

            let brotli = try await HTTP.post(
                url, json: Events.batch([Events.track("br-1")]), headers: ["Content-Encoding": "br"],
                writeKey: harness.writeKey
            )
            #expect(brotli.status == 415)
            let garbage = try await HTTP.post(
                url, body: [0x1f, 0x8b, 1, 2, 3], headers: ["Content-Encoding": "gzip"], writeKey: harness.writeKey
            )
            #expect(garbage.status == 400)
            try await server.waitUntilLoaded()
        }
        #expect(try harness.messageCounts() == ["gz-1": 1, "gz-2": 1, "zs-1": 1])
    }

    @Test func everyLimit() async throws {
        let harness = try IngestHarness(label: "limits")
        defer { harness.removeSpool() }
        try await harness.withServer { server in
            let url = "\(server.baseURL)/v1/batch"
            // Over 500 KB on the wire.
            let padding = String(repeating: "x", count: 20_000)
            let big = (0..<30).map { Events.track("big-\($0)", extra: #","context":{"pad":"\#(padding)"}"#) }
            let tooLarge = try await HTTP.post(url, json: Events.batch(big), writeKey: harness.writeKey)
            #expect(tooLarge.status == 413, "\(tooLarge.body)")

            // Under 500 KB compressed, over it inflated: a bomb.
            var bomb = ByteBuffer(string: Events.batch(big))
            let compressed = try bomb.compress(with: .gzip())
            #expect(compressed.readableBytes < 500 * 1024)
            let inflated = try await HTTP.post(
                url, body: Array(compressed.readableBytesView), headers: ["Content-Encoding": "gzip"],
                writeKey: harness.writeKey
            )
            #expect(inflated.status == 413, "\(inflated.body)")
            let zstdBomb = try ZstdCompressor.compress(Array(repeating: UInt8(ascii: " "), count: 5_000_000))
            let zstdInflated = try await HTTP.post(
                url, body: zstdBomb, headers: ["Content-Encoding": "zstd"], writeKey: harness.writeKey
            )
            #expect(zstdInflated.status == 413, "\(zstdInflated.body)")

            // More than 2,500 events.
            let many = (0..<2_501).map { #"{"type":"track","userId":"u","event":"e","messageId":"n\#($0)"}"# }
            let tooMany = try await HTTP.post(url, json: Events.batch(many), writeKey: harness.writeKey)
            #expect(tooMany.status == 400, "\(tooMany.body)")

            // One event over 32 KB is rejected by index; the others are stored.
            let large = Events.track("large", extra: #","context":{"pad":"\#(String(repeating: "y", count: 33_000))"}"#)
            let mixed = try await HTTP.post(
                url, json: Events.batch([Events.track("small-1"), large, Events.track("small-2")]),
                writeKey: harness.writeKey
            )
            #expect(mixed.status == 200)
            let rejected = try #require(mixed.json?["rejected"] as? [[String: Any]])
            #expect(rejected.count == 1)
            #expect(rejected.first?["index"] as? Int == 1)

            let malformed = try await HTTP.post(url, json: #"{"batch":[{"type":"track""#, writeKey: harness.writeKey)
            #expect(malformed.status == 400)
            #expect((malformed.json?["error"] as? [String: Any])?["code"] as? String == "malformed_request")
            let notObject = try await HTTP.post(url, json: "[1,2]", writeKey: harness.writeKey)
            #expect(notObject.status == 400)
            let noBatch = try await HTTP.post(url, json: #"{"events":[]}"#, writeKey: harness.writeKey)
            #expect(noBatch.status == 400)
            try await server.waitUntilLoaded()
        }
        #expect(try harness.messageCounts() == ["small-1": 1, "small-2": 1])
    }

    @Test func aMixedBatchStoresTheValidAndNamesTheInvalid() async throws {
        let harness = try IngestHarness(label: "mixed")
        defer { harness.removeSpool() }
        try await harness.withServer { server in
            let events = [
                Events.track("ok-0"),
                #"{"type":"track","messageId":"no-user","event":"E"}"#,
                #"{"type":"track","messageId":"no-event","userId":"u"}"#,
                Events.track("ok-3"),
                #"{"type":"teleport","messageId":"bad-type","userId":"u"}"#,
                #"{"type":"track","messageId":"nul","userId":"u","event":"E","properties":{"s":"a\u0000b"}}"#,
                #"{"type":"track","messageId":"bad-time","userId":"u","event":"E","timestamp":"yesterday"}"#,
                #"{"type":"track","messageId":"\#(String(repeating: "m", count: 101))","userId":"u","event":"E"}"#,
                Events.track("ok-8"),
            ]
            let answer = try await HTTP.post(
                "\(server.baseURL)/v1/batch", json: Events.batch(events), writeKey: harness.writeKey
            )
            #expect(answer.status == 200)
            #expect(answer.json?["success"] as? Bool == true)
            let rejected = try #require(answer.json?["rejected"] as? [[String: Any]])
            #expect(rejected.compactMap { $0["index"] as? Int } == [1, 2, 4, 5, 6, 7])
            #expect(rejected.allSatisfy { !(($0["reason"] as? String) ?? "").isEmpty })
            try await server.waitUntilLoaded()
        }
        #expect(try harness.messageCounts() == ["ok-0": 1, "ok-3": 1, "ok-8": 1])
    }

    @Test func duplicatesWithinAndAcrossBatchesAndAcrossARestart() async throws {
        // `sluice serve` as a child process: its /metrics counts this test's duplicates alone, which an
        // in-process server, sharing the process-wide registry with other suites, could not promise.
        let setup = try CrashRecoveryTests.setup("dupes")
        defer { try? FileManager.default.removeItem(atPath: setup.spool) }
        let database = try PostgresConnection(setup.databaseURL)
        func post(_ url: String, _ ids: [String]) async throws -> HTTPAnswer {
            try await HTTP.post(
                "\(url)/v1/batch", json: Events.batch(ids.map { Events.track($0) }), writeKey: setup.writeKey
            )
        }
        func duplicates(_ url: String) async throws -> Double? {
            PrometheusText.value(of: "sluice_duplicates_total", in: try await HTTP.get("\(url)/metrics").body)
        }

        let (first, url) = try await CrashRecoveryTests.serve(setup)
        #expect(try await duplicates(url) == 0)
        // A duplicate is accepted (Segment's SDKs would retry a refusal), dropped, and counted.
        let within = try await post(url, ["d-1", "d-1", "d-2"])
        #expect(within.status == 200)
        #expect(within.body == #"{"success":true}"#)
        #expect(try await duplicates(url) == 1)
        let across = try await post(url, ["d-2", "d-3"])
        #expect(across.status == 200)
        #expect(across.body == #"{"success":true}"#)
        #expect(try await duplicates(url) == 2)
        try await HangGuard.wait(for: "3 events stored") { try CrashRecoveryTests.storedCount(database) == 3 }
        first.signal(SIGTERM)
        await #expect(try first.wait(timeout: HangGuard.limit) == 0)

        // A new server over the same database and spool remembers the ids: its window starts with the three.
        let (second, secondURL) = try await CrashRecoveryTests.serve(setup)
        try await HangGuard.wait(for: "the restarted server's dedupe window to hold the 3 stored ids") {
            PrometheusText.value(of: "sluice_dedupe_entries", in: try await HTTP.get("\(secondURL)/metrics").body) == 3
        }
        #expect(try await duplicates(secondURL) == 0)
        let again = try await post(secondURL, ["d-1", "d-4"])
        #expect(again.status == 200)
        #expect(again.body == #"{"success":true}"#)
        #expect(try await duplicates(secondURL) == 1)
        try await HangGuard.wait(for: "4 events stored") { try CrashRecoveryTests.storedCount(database) == 4 }
        second.signal(SIGTERM)
        await #expect(try second.wait(timeout: HangGuard.limit) == 0)

        let counts = try database.query("SELECT message_id, count(*)::text FROM analytics.events GROUP BY 1 ORDER BY 1")
        #expect(counts.rows == [["d-1", "1"], ["d-2", "1"], ["d-3", "1"], ["d-4", "1"]])
    }

    @Test func healthReadinessAndMetrics() async throws {
        let harness = try IngestHarness(label: "health")
        defer { harness.removeSpool() }
        try await harness.withServer { server in
            #expect(try await HTTP.get("\(server.baseURL)/healthz").status == 200)
            // Readiness is an event (the loader's first contact with PostgreSQL, say): wait for it.
            try await HangGuard.wait(for: "/readyz to answer 200") {
                try await HTTP.get("\(server.baseURL)/readyz").status == 200
            }
            let ready = try await HTTP.get("\(server.baseURL)/readyz")
            #expect(ready.status == 200)
            #expect(ready.body == #"{"ready":true,"database":"ok"}"#)
            _ = try await HTTP.post(
                "\(server.baseURL)/v1/batch", json: Events.batch([Events.track("h-1"), Events.track("h-1")]),
                writeKey: harness.writeKey
            )
            try await server.waitUntilLoaded()
            let metrics = try await HTTP.get("\(server.baseURL)/metrics")
            #expect(metrics.status == 200)
            for name in [
                "sluice_events_received_total", "sluice_events_accepted_total", "sluice_duplicates_total",
                "sluice_request_bytes_total", "sluice_ring_occupancy", "sluice_spool_bytes", "sluice_copy_rows_total",
                "sluice_copy_batches_total", "sluice_ack_latency_seconds",
            ] {
                #expect(metrics.body.contains(name), "missing \(name)")
            }
        }
    }
}
