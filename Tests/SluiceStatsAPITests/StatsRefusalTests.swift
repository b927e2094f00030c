import Foundation
import SluiceCore
import SluicePostgres
import SluiceStats
import SluiceStore
import SluiceTestSupport
import Testing

/// 401 for a missing or wrong key and 400 naming the parameter for bad input, in the documented shape,
/// over real HTTP; never a 5xx.
@Suite struct StatsRefusalTests {
    @Test func onlyTheReadKeyOpensTheStats() async throws {
        let harness = try StatsHarness(label: "keys")
        let other = try ProjectStore.create(name: "Other", on: try harness.connection())
        try await harness.withServer { server in
            let refused: [String?] = [
                nil, "Bearer \(harness.writeKey)", "Basic \(Data("\(harness.readKey):".utf8).base64EncodedString())",
                "Bearer rk_unknown000000000000000000000000000000000", "Bearer ", "Bearer not a key", harness.readKey,
            ]
            for endpoint in StatsEndpoint.allCases {
                let path = endpoint == .breakdown ? "breakdown?property=page" : endpoint.rawValue
                for authorization in refused {
                    let answer = try await server.stats(path, authorization: .some(authorization))
                    #expect(answer.status == 401, "\(authorization ?? "no header") on \(path): \(answer)")
                    #expect(answer.headers["www-authenticate"] == "Bearer")
                    let error = try #require(answer.json?["error"] as? String, "\(answer)")
                    #expect(!error.isEmpty)
                    #expect(answer.json?["parameter"] == nil)
                }
                let own = try await server.stats(path)
                #expect(own.status == 200, "\(path): \(own)")
                let lowercase = try await server.stats(path, authorization: .some("bearer \(other.readKey)"))
                #expect(lowercase.status == 200, "\(path) with bearer in lower case: \(lowercase)")
            }
            // A write key is told what it is.
            let write = try await server.stats("aggregate", authorization: .some("Bearer \(harness.writeKey)"))
            #expect((write.json?["error"] as? String)?.contains("write key") == true)
        }
    }

    @Test func aProjectsKeyCountsOnlyItsOwnEvents() async throws {
        let harness = try StatsHarness(label: "ownership")
        let other = try ProjectStore.create(name: "Other", on: try harness.connection())
        let today = CalendarDay.today()
        try await harness.withServer { server in
            var traffic = SentEvent(
                messageID: "own-1", kind: .page, anonymousID: "a", time: Timestamp.now().unixMicroseconds)
            traffic.path = "/"
            try await server.send([traffic.json])
            try await server.waitUntilLoaded()
            try await harness.runJobs()
            let range = "from=\(today.adding(days: -1))&to=\(today)&metrics=pageviews"
            let mine = try await server.json("aggregate?" + range) as? [String: Any]
            #expect(((mine?["results"] as? [String: Any])?["pageviews"] as? [String: Any])?["value"] as? Int == 1)
            let theirs = try await server.stats("aggregate?" + range, authorization: .some("Bearer \(other.readKey)"))
            #expect(
                theirs.json.flatMap { ($0["results"] as? [String: Any])?["pageviews"] as? [String: Any] }?["value"]
                    as? Int == 0)
        }
    }

    static let badRequests: [(String, String)] = [
        ("aggregate?metrics=visitors,time_on_page", "metrics"),
        ("aggregate?metrics=", "metrics"),
        ("aggregate?metrics=conversion_rate", "metrics"),
        ("breakdown?property=colour", "property"),
        ("breakdown", "property"),
        ("breakdown?property=page&metrics=conversion_rate", "metrics"),
        ("aggregate?from=2026-11-08&to=2026-11-07", "from"),
        ("timeseries?from=2020-01-01&to=2026-11-07", "from"),
        ("aggregate?filters=page%3D/a", "filters"),
        ("aggregate?filters=colour%3D%3Dred", "filters"),
        ("aggregate?filters=page%3D%3D", "filters"),
        ("aggregate?filters=page%3D%3D/a;", "filters"),
        ("aggregate?filters=%zz", "filters"),
        ("breakdown?property=page&limit=0", "limit"),
        ("breakdown?property=page&limit=10001", "limit"),
        ("breakdown?property=page&limit=many", "limit"),
        ("aggregate?from=2026-02-30", "from"),
        ("aggregate?to=yesterday", "to"),
        ("timeseries?interval=week", "interval"),
        ("timeseries?interval=hour&from=2026-01-01&to=2026-12-31", "interval"),
        ("aggregate?period=30d", "period"),
        ("aggregate?to=2026-01-01&to=2026-01-02", "to"),
        ("realtime/visitors?filters=page%3D%3D/", "filters"),
    ]

    @Test func badParametersAre400NamingTheParameter() async throws {
        let harness = try StatsHarness(label: "params")
        try await harness.withServer { server in
            for (path, parameter) in Self.badRequests {
                let answer = try await server.stats(path)
                #expect(answer.status == 400, "\(path): \(answer)")
                #expect(answer.headers["content-type"] == "application/json")
                #expect(answer.json?["parameter"] as? String == parameter, "\(path): \(answer)")
                let message = try #require(answer.json?["error"] as? String, "\(path): \(answer)")
                #expect(message.hasPrefix(parameter + ": "), "\(path): \(message)")
                #expect(answer.json?.count == 2, "\(path): \(answer)")
            }
            // Bad parameters are refused before the key is looked up, but never instead of a 401.
            let unauthorized = try await server.stats("aggregate?metrics=nope", authorization: .some(nil))
            #expect(unauthorized.status == 401)
        }
    }
}
