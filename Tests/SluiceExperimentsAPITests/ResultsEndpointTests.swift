import Foundation
import Logging
import SluiceCore
import SluiceExperiments
import SluiceExperimentsStore
import SluicePostgres
import SluiceScheduler
import SluiceSchedulerCore
import SluiceTestSupport
import Testing

/// `GET /v1/experiments/KEY/results` over real HTTP after the assignments job ran over generated events: the
/// numbers are `ExperimentResults.compute` of counts the test takes from what it generated, not from the database,
/// and gbstats' own on those counts.
@Suite struct ResultsEndpointTests {
    /// One run of the assignments job under a real lease.
    static func runAssignments(_ url: String) throws {
        var logger = Logger(label: "results-test")
        logger.logLevel = .warning
        let job = AssignmentsJob(settle: .zero, lookback: .seconds(900))
        let runner = JobRunner(connectionString: url, holder: "test@results:1", logger: logger)
        let connection = try PostgresConnection(url)
        guard case .claimed(let claim) = try runner.claim(job, timing: LeaseTiming(timeout: job.leaseTimeout), dueAfter: nil, on: connection)
        else { throw APITestError("the assignments lease was held") }
        let report = runner.execute(job, claim: claim)
        #expect(report.run.status == .succeeded, "\(report.run.error ?? "")")
    }

    @Test func resultsEqualComputeOnCountsTakenFromTheGeneratedEvents() async throws {
        let server = try ExperimentsServer(label: "results")
        let definition = try server.save(
            #"{"key":"checkout","variations":["control","treatment"],"weights":[0.5,0.5],"goalEvent":"Order Completed"}"#
        )
        let traffic = ExperimentTraffic.generate(
            projectID: server.projectID, definition: definition, count: 3_000, seed: 77, start: .now(), receivedAt: .now()
        )
        _ = try PostgresConnection(server.connectionString).copyEvents(traffic.rows)
        try Self.runAssignments(server.connectionString)

        let counts = traffic.expectedCounts(variations: 2)
        #expect(counts.allSatisfy { $0.users > 500 && $0.converters > 100 })
        let expected = try ExperimentResults.compute(counts: counts, definition: definition)
        try await server.run { running in
            let answer = try await running.results("checkout", bearer: server.readKey)
            #expect(answer.status == 200, "\(answer.body)")
            let json = try #require(answer.json)
            // Every member of ExperimentResults' JSON is there with the same value…
            guard case .object(let members) = expected.json, case .array(let variations)? = json["variations"] else {
                throw APITestError("not the results shape: \(answer.body)")
            }
            for member in members where member.key != "variations" {
                #expect(json[member.key] == member.value, "\(member.key)")
            }
            guard case .array(let expectedVariations)? = expected.json["variations"] else { return }
            let mismatches = traffic.expectedMismatches(variations: 2)
            for (index, variation) in variations.enumerated() {
                guard case .object(let fields) = expectedVariations[index] else { continue }
                for field in fields { #expect(variation[field.key] == field.value, "variation \(index) \(field.key)") }
                #expect(variation["mismatchedExposures"] == .number(JSONNumber(Double(mismatches[index]))!))
                let assigned = traffic.people.filter { $0.variant == index }.count
                #expect(variation["assigned"] == .number(JSONNumber(Double(assigned))!))
            }
            // …and the command line's JSON is the same text.
            let report = try ExperimentStore.report(
                projectID: server.projectID, key: "checkout", on: try PostgresConnection(server.connectionString)
            )
            #expect(answer.body == report.jsonText)
            #expect(json["version"] == .number(JSONNumber(1)!) && json["status"] == .string("running"))
            #expect(json["exposures"]?["mismatched"] == .number(JSONNumber(Double(mismatches.reduce(0, +)))!))

            // gbstats itself, on the counts of the generated events, gives the endpoint's numbers.
            try #require(
                try await GBStats.isInstalled(),
                "gbstats 0.8.0 is missing: python3 -m pip install gbstats==0.8.0 (scripts/test.sh)"
            )
            let reference = try await GBStats.run([GBStats.Fixture(weights: definition.weights, counts: counts)])[0]
            func number(_ value: JSONValue?) -> Double {
                guard case .number(let number)? = value else { return .nan }
                return number.value
            }
            #expect(GBStats.same(number(json["srm"]?["pValue"]), reference["srm"]), "srm")
            guard case .array(let gbstats)? = reference["variations"], gbstats.count == variations.count else {
                throw APITestError("gbstats answered another shape: \(reference.jsonText)")
            }
            var compared = 0
            for (index, (variation, gb)) in zip(variations, gbstats).enumerated() {
                #expect(GBStats.same(number(variation["users"]), gb["users"]), "variation \(index) users")
                #expect(GBStats.same(number(variation["conversionRate"]), gb["cr"]), "variation \(index) rate")
                compared += 2
                guard index > 0 else { continue }
                guard case .array(let ci)? = variation["ci"], case .array(let gbCI)? = gb["ci"], ci.count == 2,
                    gbCI.count == 2
                else {
                    Issue.record("variation \(index) has no interval: \(answer.body) against \(reference.jsonText)")
                    continue
                }
                #expect(GBStats.same(number(variation["uplift"]), gb["expected"]), "variation \(index) uplift")
                #expect(GBStats.same(number(ci[0]), gbCI[0]) && GBStats.same(number(ci[1]), gbCI[1]), "ci \(index)")
                #expect(GBStats.same(number(variation["pValue"]), gb["pValue"]), "variation \(index) p-value")
                #expect(GBStats.same(number(variation["standardError"]), gb["stddev"]), "variation \(index) stddev")
                compared += 5
            }
            #expect(compared == 9, "both variations' numbers were compared")
        }
    }

    @Test func aSampleRatioMismatchIsFlaggedAndWarnedAbout() async throws {
        let server = try ExperimentsServer(label: "resultssrm")
        // Bucketed 50/50 by the job; then the stored weights are changed underneath, in SQL, to 80/20: the split
        // no longer fits the weights, as when a broken redirect loses half of one variation's users.
        let definition = try server.save(#"{"key":"srm","variations":["a","b"],"weights":[0.5,0.5]}"#)
        let traffic = ExperimentTraffic.generate(
            projectID: server.projectID, definition: definition, count: 2_000, seed: 3, start: .now(), receivedAt: .now()
        )
        _ = try PostgresConnection(server.connectionString).copyEvents(traffic.rows)
        try Self.runAssignments(server.connectionString)
        let connection = try PostgresConnection(server.connectionString)
        try connection.execute("UPDATE experiments.experiments SET weights = '{0.8,0.2}' WHERE key = 'srm'")
        try await server.run { running in
            let answer = try await running.results("srm", bearer: server.readKey)
            #expect(answer.json?["srm"]?["status"] == .string("unhealthy"))
            #expect(answer.json?["srm"]?["mismatch"] == .bool(true))
            guard case .array(let warnings)? = answer.json?["warnings"], case .string(let first)? = warnings.first else {
                throw APITestError("no warnings: \(answer.body)")
            }
            #expect(first.hasPrefix("sample ratio mismatch"))
        }
    }

    @Test func resultsNeedTheReadKeyAndAKnownExperiment() async throws {
        let server = try ExperimentsServer(label: "resultserrors")
        try server.save(#"{"key":"k","variations":["a","b"]}"#)
        try await server.run { running in
            for bearer in [nil, server.writeKey, "rk_unknown", ""] as [String?] {
                let answer = try await running.results("k", bearer: bearer)
                #expect(answer.status == 401 && answer.errorCode == "unauthorized", "\(bearer ?? "none")")
            }
            let basic = try await running.get(
                "/v1/experiments/k/results", headers: ["Authorization": "Basic " + "\(server.readKey):".utf8.base64]
            )
            #expect(basic.status == 401)
            let unknown = try await running.results("nope", bearer: server.readKey)
            #expect(unknown.status == 404 && unknown.errorCode == "not_found")
            let empty = try await running.results("k", bearer: server.readKey)
            #expect(empty.status == 200)
            #expect(empty.json?["srm"]?["status"] == .string("not-enough-traffic"))
        }
    }
}

extension String.UTF8View {
    var base64: String { Data(self).base64EncodedString() }
}
