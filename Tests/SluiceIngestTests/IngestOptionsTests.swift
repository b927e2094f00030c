import Foundation
import SluiceCore
import SluiceEnrichment
import SluiceHangGuard
import SluicePostgres
import Testing

/// `sluice serve`'s options as a client sees them: ack mode, disk budget, country header, IP privacy.
@Suite(.serialized) struct IngestOptionsTests {
    @Test func ackMemoryAnswersBeforeTheSpoolAndStillLoadsEverything() async throws {
        let harness = try IngestHarness(label: "ackmemory")
        defer { harness.removeSpool() }
        try await harness.withServer({ $0.ack = .memory }) { server in
            for batch in 0..<5 {
                let ids = (0..<100).map { "mem-\(batch)-\($0)" }
                let answer = try await HTTP.post(
                    "\(server.baseURL)/v1/batch", json: Events.batch(ids.map { Events.track($0) }),
                    writeKey: harness.writeKey
                )
                #expect(answer.status == 200)
            }
        }
        // The graceful shutdown synced and loaded what the ring held.
        let counts = try harness.messageCounts()
        #expect(counts.count == 500)
        #expect(counts.values.allSatisfy { $0 == 1 })
    }

    @Test func aFullSpoolAnswers503WithRetryAfter() async throws {
        let harness = try IngestHarness(label: "budget")
        defer { harness.removeSpool() }
        try await harness.withServer({ $0.spoolMaxBytes = 1 }) { server in
            let url = "\(server.baseURL)/v1/batch"
            let first = try await HTTP.post(url, json: Events.batch([Events.track("b-1")]), writeKey: harness.writeKey)
            #expect(first.status == 200)
            // The segment file now holds more than the 1-byte budget until the loader deletes it, which it
            // never does for the segment being written. Once the committer's measure of the spool (the value the
            // budget check reads, refreshed a few times a second) shows it, every later request is over budget.
            try await HangGuard.wait(for: "the committer to measure the first record in the spool") {
                server.server.committer.spoolBytes >= 1
            }
            let answer = try await HTTP.post(url, json: Events.batch([Events.track("b-2")]), writeKey: harness.writeKey)
            #expect(answer.status == 503, "\(answer.body)")
            #expect(answer.headers["retry-after"] == "1")
            #expect((answer.json?["error"] as? [String: Any])?["code"] as? String == "spool_full")
        }
    }

    @Test func aTrustedCountryHeaderAndDroppedAddresses() async throws {
        let harness = try IngestHarness(label: "country")
        defer { harness.removeSpool() }
        try await harness.withServer({
            $0.countryHeader = "CF-IPCountry"
            $0.ipMode = .drop
        }) { server in
            let url = "\(server.baseURL)/v1/batch"
            let fromHeader = try await HTTP.post(
                url, json: Events.batch([Events.track("c-header", extra: #","context":{"ip":"198.51.100.7"}"#)]),
                headers: ["CF-IPCountry": "de"], writeKey: harness.writeKey
            )
            #expect(fromHeader.status == 200)
            let fromContext = try await HTTP.post(
                url, json: Events.batch([Events.track("c-context", extra: #","context":{"location":{"country":"FR"}}"#)]),
                headers: ["CF-IPCountry": "DE"], writeKey: harness.writeKey
            )
            #expect(fromContext.status == 200)
            try await server.waitUntilLoaded()
        }
        let result = try harness.connection().query(
            "SELECT message_id, country, ip IS NULL, context::text FROM analytics.events ORDER BY message_id"
        )
        #expect(result.rowCount == 2)
        #expect(result.string(0, 0) == "c-context")
        #expect(result.string(0, 1) == "FR")
        #expect(result.string(1, 0) == "c-header")
        #expect(result.string(1, 1) == "DE")
        #expect(result.string(0, 2) == "t" && result.string(1, 2) == "t", "--ip-mode drop stores no address")
        #expect(result.string(1, 3)?.contains("198.51.100.7") == false)
    }

    @Test func hashedAddressesAreStableWithinADayAndNotTheAddress() async throws {
        let harness = try IngestHarness(label: "hash")
        defer { harness.removeSpool() }
        try await harness.withServer({ $0.ipMode = .hash }) { server in
            for id in ["h-1", "h-2"] {
                let answer = try await HTTP.post(
                    "\(server.baseURL)/v1/batch",
                    json: Events.batch([Events.track(id, extra: #","context":{"ip":"203.0.113.9"}"#)]),
                    writeKey: harness.writeKey
                )
                #expect(answer.status == 200)
            }
            try await server.waitUntilLoaded()
        }
        let result = try harness.connection().query("SELECT DISTINCT host(ip) FROM analytics.events")
        #expect(result.rowCount == 1)
        let stored = try #require(result.string(0, 0))
        #expect(stored != "203.0.113.9" && !stored.hasPrefix("203.0.113"))
    }
}
