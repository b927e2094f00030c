import EmbeddedPostgres
import Foundation
import SluicePostgres
import SluiceTestSupport
import Testing

/// The official Segment Python SDK (`segment-analytics-python`, gzip on) against a real server.
@Suite struct SegmentSDKTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/segment-sdk-client.py").path

    @Test func everyCallFromTheOfficialPythonSDKArrivesIntact() async throws {
        let check = try ChildProcess.run(["/usr/bin/env", "python3", "-c", "import segment.analytics"])
        try #require(
            check.status == 0, "the Segment SDK is missing: pip install segment-analytics-python (scripts/ensure-deps.sh)"
        )
        let harness = try IngestHarness(label: "sdk")
        defer { harness.removeSpool() }
        let output = try await harness.withServer { server in
            // On a thread of its own: the server under test answers on the cooperative pool, which a blocked wait
            // for the SDK would take a thread from (two on this machine), until the SDK's requests time out.
            let arguments = ["/usr/bin/env", "python3", Self.script, server.baseURL, harness.writeKey]
            let run = try await offThePool { try ChildProcess.run(arguments) }
            #expect(run.status == 0, "\(run.output)")
            try await server.waitUntilLoaded()
            return run.output
        }
        #expect(output.split(separator: "\n").filter { $0.hasPrefix("{") }.count == 6)

        let result = try harness.connection().query(
            """
            SELECT message_id, type, event, user_id, anonymous_id, group_id, previous_id, page_path, referrer_host,
                   utm_source, country, browser, os, device_type, host(ip), properties::text, traits::text,
                   context::text, (extract(epoch FROM "timestamp") * 1000000)::int8::text,
                   (extract(epoch FROM received_at) * 1000000)::int8::text,
                   (extract(epoch FROM sent_at) * 1000000)::int8::text
            FROM analytics.events ORDER BY message_id
            """
        )
        var rows: [String: [String?]] = [:]
        for row in 0..<result.rowCount {
            rows[result.string(row, 0)!] = (0..<result.columnCount).map { result.string(row, $0) }
        }
        #expect(Set(rows.keys) == ["py-track", "py-identify", "py-page", "py-screen", "py-group", "py-alias"])

        let track = try #require(rows["py-track"])
        #expect(track[1] == "track")
        #expect(track[2] == "Order Completed")
        #expect(track[3] == "py-user")
        let properties = try JSONSerialization.jsonObject(with: Data((track[15] ?? "").utf8)) as? [String: Any]
        #expect(properties?["total"] as? Double == 19.99)
        #expect(properties?["items"] as? [String] == ["a", "b"])
        // The SDK sends its explicit timestamp and the batch's sentAt: the stored time is Segment's correction,
        // receivedAt − (sentAt − timestamp), to the microsecond, however long the request took.
        let given: Int64 = 1_795_170_600_000_000  // 2026-11-20T10:30:00Z, the script's `when`
        let receivedAt = try #require(track[19].flatMap { Int64($0) })
        let sentAt = try #require(track[20].flatMap { Int64($0) }, "the SDK sends sentAt")
        #expect(track[18].flatMap { Int64($0) } == receivedAt - (sentAt - given))
        for row in rows.values {
            #expect(row[7] == "/docs")
            #expect(row[8] == "news.example.org")
            #expect(row[9] == "sdk")
            #expect(row[10] == "NL")
            #expect(row[11]?.contains("Safari") == true)
            #expect(row[12] == "macOS")
            #expect(row[13] == "desktop")
            #expect(row[14] == "203.0.113.0", "the address is truncated to /24 by default")
            let context = try JSONSerialization.jsonObject(with: Data((row[17] ?? "").utf8)) as? [String: Any]
            #expect(context?["ip"] == nil, "the raw address must not be stored")
            #expect((context?["library"] as? [String: Any])?["name"] as? String == "analytics-python")
        }
        let identify = try #require(rows["py-identify"])
        let traits = try JSONSerialization.jsonObject(with: Data((identify[16] ?? "").utf8)) as? [String: Any]
        #expect(traits?["email"] as? String == "py@example.com")
        #expect(rows["py-page"]?[2] == "Getting started")
        #expect(rows["py-screen"]?[2] == "Home")
        #expect(rows["py-group"]?[5] == "py-group")
        #expect(rows["py-alias"]?[6] == "py-anon")
    }
}
