import EmbeddedPostgres
import Foundation
import SluiceCore
import SluiceHangGuard
import SluicePostgres
import SluiceTestSupport
import Testing

/// `POST /v1/privacy/forget` through real HTTP on a real server and database: what it removes, that the
/// Stats API's numbers follow at once, and every refusal.
@Suite struct PrivacyForgetTests {
    /// `POST /v1/privacy/forget` with `body` and `authorization` as the whole header (nil: none).
    static func forget(_ server: StatsServer, _ body: String, authorization: String?) async throws -> HTTPAnswer {
        try await HTTP.send(
            "POST", server.baseURL + "/v1/privacy/forget", body: body,
            headers: authorization.map { ["Authorization": $0] } ?? [:]
        )
    }

    static func event(_ type: String, user: String?, anonymous: String?, at time: Int64, extra: String) -> String {
        var fields = [#""type":"\#(type)""#, #""timestamp":"\#(SentEvent.iso(time))""#, extra]
        if let user { fields.append(#""userId":"\#(user)""#) }
        if let anonymous { fields.append(#""anonymousId":"\#(anonymous)""#) }
        return "{" + fields.joined(separator: ",") + "}"
    }

    @Test func erasesThePersonAndTheStatsFollowAtOnce() async throws {
        let harness = try StatsHarness(label: "forget-http")
        let now = Timestamp.now().unixMicroseconds
        let minute: Int64 = 60_000_000
        let page = #""properties":{"path":"/p"}"#
        let events = [
            // fa-anon browses, is identified as fa-user, who then signs up.
            Self.event("page", user: nil, anonymous: "fa-anon", at: now - 20 * minute, extra: page),
            Self.event("page", user: nil, anonymous: "fa-anon", at: now - 19 * minute, extra: page),
            Self.event("identify", user: "fa-user", anonymous: "fa-anon", at: now - 18 * minute, extra: #""traits":{}"#),
            Self.event("track", user: "fa-user", anonymous: "fa-anon", at: now - 17 * minute, extra: #""event":"Signed Up""#),
            // Somebody else, who stays.
            Self.event("page", user: nil, anonymous: "other", at: now - 20 * minute, extra: page),
            Self.event("page", user: nil, anonymous: "other", at: now - 10 * minute, extra: page),
            Self.event("track", user: nil, anonymous: "other", at: now - 9 * minute, extra: #""event":"Clicked""#),
        ]
        let today = CalendarDay(Timestamp(unixMicroseconds: now))
        let range = "from=\(today.adding(days: -1))&to=\(today)&metrics=visitors,visits,pageviews,events"
        try await harness.withServer { server in
            try await server.send(events)
            try await server.waitUntilLoaded()
            try await harness.runJobs()
            func aggregate() async throws -> [String: Int] {
                let json = try #require(try await server.json("aggregate?" + range) as? [String: Any])
                let results = try #require(json["results"] as? [String: [String: Any]])
                return results.compactMapValues { ($0["value"] as? NSNumber)?.intValue }
            }
            #expect(try await aggregate() == ["visitors": 3, "visits": 3, "pageviews": 4, "events": 6])

            let answer = try await Self.forget(
                server, #"{"userId":"fa-user"}"#, authorization: "Bearer \(harness.readKey)")
            #expect(answer.status == 200, "\(answer)")
            let erased = try #require(answer.json?["erased"] as? [String: Int], "\(answer)")
            #expect(erased == ["ids": 2, "events": 4, "sessions": 2, "assignments": 0, "otherRows": 0])
            let rollups = try #require(answer.json?["rollups"] as? [String: Any])
            #expect(rollups["pending"] as? Bool == false)
            #expect((rollups["bucketsRecomputed"] as? Int ?? 0) >= 1)
            #expect(!answer.body.contains("fa-"), "the answer holds no id")

            // No job ran since: the numbers are right when the answer comes.
            #expect(try await aggregate() == ["visitors": 1, "visits": 1, "pageviews": 2, "events": 3])
            let connection = try harness.connection()
            #expect(
                try connection.query(
                    "SELECT DISTINCT anonymous_id FROM analytics.events WHERE project_id = $1",
                    [String(harness.projectID)]
                ).rows == [["other"]])
            #expect(try connection.query("SELECT person_id FROM analytics.sessions").rows == [["other"]])

            // Again: nothing more to erase, still 200.
            let again = try await Self.forget(
                server, #"{"anonymousId":"fa-anon"}"#, authorization: "Bearer \(harness.readKey)")
            #expect(again.status == 200 && (again.json?["erased"] as? [String: Int])?["events"] == 0, "\(again)")
        }
    }

    @Test func theCommandDoesTheSameAndSaysWhatItRemoved() async throws {
        let harness = try StatsHarness(label: "forget-command")
        let now = Timestamp.now().unixMicroseconds
        let page = #""properties":{"path":"/p"}"#
        try await harness.withServer { server in
            try await server.send([
                Self.event("page", user: nil, anonymous: "fc-anon", at: now - 60_000_000, extra: page),
                Self.event("identify", user: "fc-user", anonymous: "fc-anon", at: now - 50_000_000, extra: #""traits":{}"#),
                Self.event("page", user: nil, anonymous: "other", at: now - 40_000_000, extra: page),
            ])
            try await server.waitUntilLoaded()
        }
        try await harness.runJobs()
        let run = try await SluiceBinary.run(
            ["forget", "--project", String(harness.projectID), "--user", "fc-user", "--database-url", harness.connectionString])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("fc-user\t1 event(s)") && run.output.contains("fc-anon\t1 event(s)"), "\(run.output)")
        #expect(
            run.output.contains(
                "erased 2 id(s) of project \(harness.projectID): 2 event(s), 1 visit(s), 0 assignment(s), 0 other "
                    + "experiment row(s); 1 rollup bucket(s) recomputed"), "\(run.output)")
        for (arguments, words) in [
            (["forget", "--help"], ["analytics.sessions", "/v1/privacy/forget", "Example:"]),
            (["archive", "restore", "--help"], ["derived", "recomputed", "Examples"]),
            (["jobs", "run", "--help"], ["SLUICE_ROLLUP_RETENTION_DAYS", "762 days"]),
        ] {
            let help = try await SluiceBinary.run(arguments)
            #expect(help.status == 0)
            for word in words { #expect(help.output.contains(word), "\(arguments) --help lacks \(word)") }
        }
    }

    @Test func refusesBadBodiesAndKeys() async throws {
        let harness = try StatsHarness(label: "forget-refusals")
        try await harness.withServer { server in
            let bearer = "Bearer \(harness.readKey)"
            let long = String(repeating: "x", count: 1_001)
            for (body, parameter) in [
                ("not json", "body"), ("[]", "body"), ("{}", "userId"),
                (#"{"userId":"u","anonymousId":"a"}"#, "anonymousId"), (#"{"userId":"\#(long)"}"#, "userId"),
                (#"{"anonymousId":7}"#, "anonymousId"),
            ] {
                let answer = try await Self.forget(server, body, authorization: bearer)
                #expect(answer.status == 400, "\(body.prefix(40)): \(answer)")
                #expect(answer.json?["parameter"] as? String == parameter, "\(body.prefix(40)): \(answer)")
                #expect((answer.json?["error"] as? String)?.hasPrefix(parameter) == true, "\(answer)")
            }
            let exactly = String(repeating: "y", count: 1_000)
            #expect(try await Self.forget(server, #"{"userId":"\#(exactly)"}"#, authorization: bearer).status == 200)

            let body = #"{"userId":"u"}"#
            for authorization in [nil, "Bearer rk_unknownkey", "Bearer \(harness.writeKey)", HTTP.basic(harness.writeKey)] {
                let answer = try await Self.forget(server, body, authorization: authorization)
                #expect(answer.status == 401, "\(authorization ?? "no key"): \(answer)")
                #expect(answer.headers["www-authenticate"] == "Bearer")
                #expect(answer.json?["error"] is String)
            }
            // A refused request erased nothing and recorded nothing.
            #expect(try harness.connection().query("SELECT count(*) FROM sluice.erasures").int(0, 0) == 1)
        }
    }

    @Test func answers503WhileTheDatabaseIsAway() async throws {
        // A cluster of its own, so stopping it disturbs no other test.
        let directory = FileManager.default.temporaryDirectory.path + "/sluice-forget-outage-\(UUID().uuidString)"
        var cluster = try LocalCluster.prepare(at: directory, durable: false)
        try cluster.start()
        defer {
            try? cluster.stop(immediate: true)
            try? FileManager.default.removeItem(atPath: directory)
        }
        try PostgresConnection(cluster.connectionString()).execute("CREATE DATABASE forget")
        let harness = try StatsHarness(label: "forget-outage", connectionString: cluster.connectionString(database: "forget"))
        try await harness.withServer { server in
            let bearer = "Bearer \(harness.readKey)"
            #expect(try await Self.forget(server, #"{"userId":"u"}"#, authorization: bearer).status == 200)
            try cluster.stop()
            let answer = try await Self.forget(server, #"{"userId":"u"}"#, authorization: bearer)
            #expect(answer.status == 503, "\(answer)")
            #expect(Int(answer.headers["retry-after"] ?? "") ?? 0 >= 1, "\(answer.headers)")
            #expect((answer.json?["error"] as? String)?.contains("database") == true, "\(answer)")
            try cluster.start(port: cluster.port)
            try await HangGuard.wait(for: "the forget endpoint answers again") {
                try await Self.forget(server, #"{"userId":"u"}"#, authorization: bearer).status == 200
            }
        }
    }
}
