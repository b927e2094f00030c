import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

/// `GET /v1/stats/realtime/visitors`: distinct people with a counted event in the last five minutes, read
/// from the events themselves (no job needs to have run).
@Suite struct StatsRealtimeTests {
    @Test func countsPeopleOfTheLastFiveMinutes() async throws {
        let harness = try StatsHarness(label: "realtime")
        try await harness.withServer { server in
            #expect(try await server.json("realtime/visitors") as? [String: Int] == ["visitors": 0])
            let now = Timestamp.now().unixMicroseconds
            let minute: Int64 = 60_000_000
            func event(_ id: String, _ kind: SentEvent.Kind, user: String?, anonymous: String?, at time: Int64)
                -> SentEvent
            {
                var event = SentEvent(messageID: id, kind: kind, userID: user, anonymousID: anonymous, time: time)
                event.path = "/"
                if kind == .track { event.name = "Signup" }
                return event
            }
            var crawler = event("r-bot", .page, user: nil, anonymous: "bot", at: now)
            crawler.agent = StatsTraffic.crawler
            let events = [
                event("r-1", .page, user: nil, anonymous: "a", at: now - minute),
                event("r-2", .track, user: nil, anonymous: "a", at: now),
                // The same person by userId (it wins over the anonymousId).
                event("r-3", .page, user: "u", anonymous: "b", at: now - 2 * minute),
                event("r-4", .page, user: "u", anonymous: "c", at: now),
                event("r-5", .screen, user: nil, anonymous: "d", at: now - 3 * minute),
                // Not counted: an identify call, a crawler, a visit of ten minutes ago.
                event("r-6", .identify, user: nil, anonymous: "e", at: now),
                crawler,
                event("r-7", .page, user: nil, anonymous: "f", at: now - 10 * minute),
            ]
            try await server.send(events.map(\.json))
            try await server.waitUntilLoaded()
            #expect(try await server.json("realtime/visitors") as? [String: Int] == ["visitors": 3])
        }
    }
}
