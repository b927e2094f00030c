import Foundation
import SluiceExperiments
import SluiceHangGuard
import SluiceTestSupport
import Testing

/// `GET /v1/experiments/KEY/variant` over real HTTP: the answers are `ExperimentDefinition.assign`'s, GrowthBook's
/// cases and vectors hold through it, and bad requests get the JSON error shape.
@Suite struct VariantEndpointTests {
    /// Ids of every kind a client may send: ASCII, characters that need percent-encoding, other scripts, emoji
    /// (outside the BMP, hashed as two UTF-16 code units), up to 60 characters.
    static func ids(_ count: Int, seed: UInt64) -> [String] {
        var random = SplitMix64(seed: seed)
        let pieces = ["a", "Z", "7", "-", "_", " ", "+", "&", "=", "%", "/", "?", "#", "é", "ß", "用户", "😀", "🇩🇪", ".", "~"]
        return (0..<count).map { index in
            let length = Int(random.next() % 12) + 1
            return "u\(index)" + (0..<length).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined()
        }
    }

    @Test func answersEqualAssignForTenThousandIds() async throws {
        let server = try ExperimentsServer(label: "variant10k")
        let definition = try server.save(
            """
            {"key":"checkout v2","variations":["control",{"layout":"new","price":9.90},[1,2]],
             "weights":[0.5,0.25,0.25],"coverage":0.9,"hashVersion":2,"namespace":["pricing",0,0.8]}
            """
        )
        let ids = Self.ids(10_000, seed: 2026)
        let mismatches = try await server.run { running in
            try await withThrowingTaskGroup(of: [String].self) { group in
                for lane in 0..<8 {
                    group.addTask {
                        var wrong: [String] = []
                        for (index, id) in ids.enumerated() where index % 8 == lane {
                            let anonymous = index % 5 == 0
                            let parameter = anonymous ? "anonymousId" : "userId"
                            let query = "\(parameter)=\(ExperimentsServer.Running.encode(id))&writeKey=\(server.writeKey)"
                            let answer = try await running.variant("checkout v2", query)
                            let attributes =
                                anonymous ? ExperimentAttributes(anonymousId: id) : ExperimentAttributes(userId: id)
                            let expected = definition.assign(attributes).jsonText
                            if answer.status != 200 || answer.body != expected {
                                wrong.append("\(id): \(answer.status) \(answer.body) != \(expected)")
                            }
                        }
                        return wrong
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) of 10,000 differ, e.g. \(mismatches.prefix(3))")
        // The ids do land in every variation and outside (coverage and namespace).
        let assignments = ids.map { definition.assign(ExperimentAttributes(userId: $0)) }
        #expect(Set(assignments.map { $0.inExperiment ? $0.variant : -1 }) == [-1, 0, 1, 2])
    }

    /// GrowthBook's published hash vectors at a variation's edge: `hash("seed", "a", 2) = 0.0505` and
    /// `hash("89123klj", "8952klfjas09ujkasdf", 2) = 0.124` put the user just inside or just outside the first range.
    @Test func growthBookHashVectorsHoldThroughTheEndpoint() async throws {
        let server = try ExperimentsServer(label: "variantvectors")
        let cases: [(file: String, user: String, variant: Int)] = [
            (#"{"key":"v1","seed":"seed","hashVersion":2,"variations":["a","b"],"weights":[0.05,0.95]}"#, "a", 1),
            (#"{"key":"v2","seed":"seed","hashVersion":2,"variations":["a","b"],"weights":[0.051,0.949]}"#, "a", 0),
            (
                #"{"key":"v3","seed":"89123klj","hashVersion":2,"variations":["a","b"],"weights":[0.124,0.876]}"#,
                "8952klfjas09ujkasdf", 1
            ),
            (
                #"{"key":"v4","seed":"89123klj","hashVersion":2,"variations":["a","b"],"weights":[0.125,0.875]}"#,
                "8952klfjas09ujkasdf", 0
            ),
        ]
        for entry in cases { try server.save(entry.file) }
        try await server.run { running in
            for (number, entry) in cases.enumerated() {
                let answer = try await running.variant("v\(number + 1)", "userId=\(entry.user)", basic: server.writeKey)
                #expect(answer.status == 200)
                #expect(answer.json?["variant"] == .number(JSONNumber(Double(entry.variant))!), "v\(number + 1)")
                #expect(answer.json?["inExperiment"] == .bool(true))
            }
        }
    }

    /// GrowthBook's `run` cases (of `Tests/SluiceExperimentsTests/Fixtures/growthbook-cases.json`) whose user has a
    /// non-empty `id` (without one the endpoint answers 400), each stored as an experiment and asked through the
    /// endpoint with the case's browser and traits.
    @Test func growthBookRunCasesHoldThroughTheEndpoint() async throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../SluiceExperimentsTests/Fixtures/growthbook-cases.json")
        let fixture = try JSONValue(parsing: try String(contentsOf: url, encoding: .utf8))
        guard case .array(let runs)? = fixture["run"] else { throw APITestError("no run cases") }
        let server = try ExperimentsServer(label: "variantcases")
        var asked: [(key: String, query: String, value: String, inExperiment: Bool, name: String)] = []
        for (number, entry) in runs.enumerated() {
            guard case .array(let fields) = entry, case .object(let context)? = fields[1]["attributes"],
                case .object(let experiment) = fields[2], case .string(let id)? = fields[1]["attributes"]?["id"],
                !id.isEmpty
            else { continue }
            // The case's experiment under a key of its own, hashed with the seed its own key gives it.
            var members = experiment.map { member -> JSONMember in
                if member.key == "condition", let browser = member.value["browser"] {
                    return JSONMember("targeting", .object([JSONMember("browser", .array([browser]))]))
                }
                return member
            }
            guard case .string(let originalKey)? = fields[2]["key"] else { continue }
            let seed = fields[2]["seed"].flatMap { if case .string(let s) = $0, !s.isEmpty { s } else { nil } }
            members.removeAll { $0.key == "key" || $0.key == "seed" }
            members.insert(JSONMember("key", .string("case-\(number)")), at: 0)
            members.append(JSONMember("seed", .string(seed ?? originalKey)))
            try server.save(JSONValue.object(members).jsonText)
            var query = "userId=\(ExperimentsServer.Running.encode(id))"
            var traits: [JSONMember] = []
            for member in context where member.key != "id" {
                if member.key == "browser", case .string(let browser) = member.value {
                    query += "&browser=\(ExperimentsServer.Running.encode(browser))"
                } else {
                    traits.append(member)
                }
            }
            if !traits.isEmpty { query += "&traits=\(ExperimentsServer.Running.encode(JSONValue.object(traits).jsonText))" }
            guard case .string(let name) = fields[0] else { continue }
            asked.append(("case-\(number)", query, fields[3].jsonText, fields[4] == .bool(true), name))
        }
        #expect(asked.count >= 40, "most of the 51 cases have a user id")
        try await server.run { [asked] running in
            for entry in asked {
                let answer = try await running.variant(entry.key, entry.query, basic: server.writeKey)
                #expect(answer.status == 200, "\(entry.name): \(answer.body)")
                #expect(answer.json?["value"]?.jsonText == entry.value, "\(entry.name)")
                #expect(answer.json?["inExperiment"] == .bool(entry.inExperiment), "\(entry.name)")
            }
        }
    }

    @Test func stoppedAndDraftExperimentsAnswerOutsideWithTheReason() async throws {
        let server = try ExperimentsServer(label: "variantstatus")
        try server.save(#"{"key":"draft","variations":["off","on"],"status":"draft"}"#)
        try server.save(#"{"key":"stopped","variations":["off","on"],"status":"stopped"}"#)
        try await server.run { running in
            let draft = try await running.variant("draft", "userId=u1", basic: server.writeKey)
            #expect(draft.status == 200)
            #expect(draft.body == #"{"experiment":"draft","inExperiment":false,"variant":0,"value":"off","reason":"draft"}"#)
            let stopped = try await running.variant("stopped", "userId=u1", basic: server.writeKey)
            #expect(stopped.body.contains(#""inExperiment":false"#) && stopped.body.contains(#""reason":"stopped""#))
        }
    }

    @Test func badRequestsGetTheJSONErrorShape() async throws {
        let server = try ExperimentsServer(label: "varianterrors")
        let other = try ExperimentsServer(connectionString: server.connectionString)
        try server.save(#"{"key":"k","variations":["a","b"]}"#)
        try other.save(#"{"key":"theirs","variations":["a","b"]}"#)
        try await server.run { running in
            let key = server.writeKey
            let cases: [(query: String, basic: String?, status: Int, code: String)] = [
                ("", key, 400, "malformed_request"),
                ("userId=&anonymousId=", key, 400, "malformed_request"),
                ("userId=" + String(repeating: "x", count: 1_001), key, 400, "malformed_request"),
                ("anonymousId=" + String(repeating: "é", count: 1_001), key, 400, "malformed_request"),
                ("userId=u1&traits=%7Bnot%20json", key, 400, "malformed_request"),
                ("userId=u1&traits=%5B1%5D", key, 400, "malformed_request"),
                ("userId=u1", nil, 401, "unauthorized"),
                ("userId=u1", "wk_unknown", 401, "unauthorized"),
                ("userId=u1&writeKey=wk_unknown", nil, 401, "unauthorized"),
            ]
            for entry in cases {
                let answer = try await running.variant("k", entry.query, basic: entry.basic)
                #expect(answer.status == entry.status, "\(entry.query.prefix(40)): \(answer.body)")
                #expect(answer.errorCode == entry.code, "\(entry.query.prefix(40))")
                #expect(answer.json?["success"] == .bool(false))
                guard case .string(let message)? = answer.json?["error"]?["message"] else {
                    Issue.record("no message")
                    continue
                }
                #expect(!message.isEmpty)
            }
            let exactly = try await running.variant("k", "userId=" + String(repeating: "x", count: 1_000), basic: key)
            #expect(exactly.status == 200, "1,000 characters are allowed")
            let malformed = try await running.get("/v1/experiments/k/variant?userId=u1", headers: ["Authorization": "Bearer x"])
            #expect(malformed.status == 401 && malformed.errorCode == "unauthorized")

            let unknown = try await running.variant("nope", "userId=u1", basic: key)
            #expect(unknown.status == 404 && unknown.errorCode == "not_found")
            let theirs = try await running.variant("theirs", "userId=u1", basic: key)
            #expect(theirs.status == 404, "another project's experiment is not found with this project's key")
            let mine = try await running.variant("theirs", "userId=u1", basic: other.writeKey)
            #expect(mine.status == 200)
        }
    }

    @Test func anExperimentCreatedWhileServingIsAnsweredAtOnce() async throws {
        let server = try ExperimentsServer(label: "variantnew")
        try await server.run(refresh: .seconds(3600)) { running in
            let before = try await running.variant("fresh", "userId=u1", basic: server.writeKey)
            #expect(before.status == 404)
            let definition = try server.save(#"{"key":"fresh","variations":["a","b"]}"#)
            // An unknown key reloads the cache at most once a second: the answer comes within a few tries.
            try await HangGuard.wait(for: "the new experiment answered") {
                let answer = try await running.variant("fresh", "userId=u1", basic: server.writeKey)
                return answer.status == 200 && answer.body == definition.assign(ExperimentAttributes(userId: "u1")).jsonText
            }
        }
    }
}
