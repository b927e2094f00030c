import Foundation
import SluiceHangGuard
import SluicePostgres
import SluiceTestSupport
import Testing

/// The assignments job's counters on the `/metrics` of a real `sluice serve` (docs/operations.md):
/// `sluice_experiment_assignments_total`, `sluice_experiment_exposures_total` and
/// `sluice_experiment_exposure_mismatches_total{kind}`, after known people and exposures sent over HTTP, each
/// equal to a count made here from what was sent and GrowthBook's published hash, not from Sluice's bucketing.
@Suite(.serialized) struct ExperimentMetricsTests {
    static let key = "checkout-metrics"
    /// Two equal variations, hash version 1, seeded by the key; only people from the US are in it.
    static let file = #"{"key":"checkout-metrics","variations":["control","treatment"],"targeting":{"country":["US"]}}"#

    /// One person of the traffic: a page view, then an "Experiment Viewed" for each of `exposures`, the JSON
    /// text of its `variation_id`.
    struct Person {
        var id: String
        var anonymous = false
        var country = "US"
        var exposures: [String] = []
    }

    /// GrowthBook's hash version 1 in thousandths, `fnv1a32(value + seed) mod 1000`, written from its published
    /// definition (docs/experiments.md, "Bucketing") so that the expected variants are not Sluice's own.
    static func permille(_ value: String, seed: String) -> UInt32 {
        var hash: UInt32 = 0x811C_9DC5
        for unit in (value + seed).utf16 { hash = (hash ^ UInt32(unit)) &* 0x0100_0193 }
        return hash % 1000
    }

    /// The variation a person in the experiment gets: equal weights and full coverage give variation 0 the
    /// range [0, 0.5) and variation 1 [0.5, 1).
    static func variant(_ id: String) -> Int {
        permille(id, seed: key) < 500 ? 0 : 1
    }

    /// The variation an exposure's `variation_id` names: an index of the experiment as a number or a string of
    /// digits; nil for anything else.
    static func named(_ variationID: String) -> Int? {
        let digits = variationID.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        return Int(digits).flatMap { (0..<2).contains($0) ? $0 : nil }
    }

    /// The people: their own variation shown, the other one, both, one that names no variation, none, the same
    /// one twice, a string index, an anonymous person; and people outside the targeting, exposed or not.
    static func people() -> [Person] {
        func own(_ id: String) -> String { String(variant(id)) }
        func other(_ id: String) -> String { String(1 - variant(id)) }
        return [
            Person(id: "u-1", exposures: [own("u-1")]),
            Person(id: "u-2", exposures: [other("u-2")]),
            Person(id: "u-3", exposures: ["0", "1"]),
            Person(id: "u-4", exposures: [#""99""#]),
            Person(id: "u-5"),
            Person(id: "u-6", exposures: [own("u-6"), own("u-6")]),
            Person(id: "u-7", exposures: ["\"\(own("u-7"))\""]),
            Person(id: "anon-1", anonymous: true, exposures: [own("anon-1")]),
            Person(id: "d-1", country: "DE", exposures: ["0"]),
            Person(id: "d-2", country: "DE"),
            Person(id: "d-3", country: "DE", exposures: ["1", "1"]),
        ]
    }

    /// The events of `person`, with messageIds `PERSON-N`.
    static func events(_ person: Person) -> [String] {
        let who = person.anonymous ? #""anonymousId":"\#(person.id)""# : #""userId":"\#(person.id)""#
        let context = #""context":{"location":{"country":"\#(person.country)"}}"#
        var events = [#"{"type":"page","messageId":"\#(person.id)-0",\#(who),"name":"Home",\#(context)}"#]
        for (index, variationID) in person.exposures.enumerated() {
            events.append(
                #"{"type":"track","messageId":"\#(person.id)-\#(index + 1)",\#(who),"event":"Experiment Viewed","#
                    + #""properties":{"experiment_id":"\#(key)","variation_id":\#(variationID)},\#(context)}"#
            )
        }
        return events
    }

    @Test func theOracleHasGrowthBooksPublishedValue() {
        // GrowthBook's cross-SDK vector: hash("", "a", 1) = 0.22.
        #expect(Self.permille("a", seed: "") == 220)
    }

    @Test func theCountersEqualTheCountOfWhatWasSent() async throws {
        let setup = try await offThePool { try CrashRecoveryTests.setup("expmetrics") }
        defer { setup.removeSpool() }
        let database = try PostgresConnection(setup.databaseURL)
        let project = try #require(
            database.query("SELECT id::text FROM sluice.projects WHERE write_key = $1", [setup.writeKey]).string(0, 0)
        )
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("experiment-\(UUID()).json").path
        try Self.file.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let created = try await SluiceBinary.run(
            ["experiments", "create", "--project", project, "--file", path, "--database-url", setup.databaseURL]
        )
        #expect(created.status == 0, "\(created.output)")

        // The traffic, through a server without jobs, until it is all stored.
        let people = Self.people()
        let events = people.flatMap(Self.events)
        // An exposure to an experiment the project does not have counts for none (u-5 stays unexposed). From the
        // US like u-5's page view: the job buckets a person with the country of their earliest event.
        let stray = #"{"type":"track","messageId":"stray-1","userId":"u-5","event":"Experiment Viewed","#
            + #""properties":{"experiment_id":"no-such-test","variation_id":1},"#
            + #""context":{"location":{"country":"US"}}}"#
        let ingest = try await ChildServer.start(setup)
        let answer = try await HTTP.post(
            "\(ingest.url)/v1/batch", json: Events.batch(events + [stray]), writeKey: setup.writeKey
        )
        #expect(answer.status == 200, "\(answer.body)")
        let ids = people.flatMap { person in (0...person.exposures.count).map { "\(person.id)-\($0)" } }
        try await ServerPromisesTests.expectStoredOnce(ids + ["stray-1"], databaseURL: setup.databaseURL)
        #expect(try await ingest.stop() == 0)

        // What the job must count, from the people alone.
        let inside = people.filter { $0.country == "US" }
        let exposed = inside.filter { !$0.exposures.isEmpty }
        let mismatched = inside.filter { person in
            person.exposures.contains { Self.named($0) != Self.variant(person.id) }
        }
        let unassigned = people.filter { $0.country != "US" && !$0.exposures.isEmpty }
        #expect(mismatched.map(\.id).contains("u-2"), "an exposure naming the variation the person is not in")

        // A server with jobs: its assignments run at start reads the history once; the later ones read it again
        // (the lookback), which must not count anyone twice.
        let server = try await ChildServer.start(
            setup, ["--job-interval", "assignments=1"],
            environment: ["SLUICE_ASSIGNMENTS_SETTLE": "0", "SLUICE_BACKFILL_DAYS": "2", "SLUICE_PREMAKE_DAYS": "1"],
            jobs: true
        )
        let runs = ["job": "assignments", "status": "succeeded"]
        var samples: [String: Double] = [:]
        try await HangGuard.wait(for: "two runs of the assignments job in sluice serve") {
            samples = try await server.metrics()
            let failed = ServeDeploymentPromisesTests.value(
                "sluice_job_runs_total", ["job": "assignments", "status": "failed"], in: samples
            )
            if let failed, failed > 0 { throw HarnessError("an assignments run failed:\n\(server.process.log)") }
            return (ServeDeploymentPromisesTests.value("sluice_job_runs_total", runs, in: samples) ?? 0) >= 2
        }
        let labels = ["project": project, "experiment": Self.key]
        func counter(_ name: String, _ extra: [String: String] = [:]) -> Double? {
            ServeDeploymentPromisesTests.value(name, labels.merging(extra) { $1 }, in: samples)
        }
        let checks: [(series: String, actual: Double?, expected: Int)] = [
            ("sluice_experiment_assignments_total", counter("sluice_experiment_assignments_total"), inside.count),
            ("sluice_experiment_exposures_total", counter("sluice_experiment_exposures_total"), exposed.count),
            (
                #"sluice_experiment_exposure_mismatches_total{kind="other_variant"}"#,
                counter("sluice_experiment_exposure_mismatches_total", ["kind": "other_variant"]), mismatched.count
            ),
            (
                #"sluice_experiment_exposure_mismatches_total{kind="unassigned"}"#,
                counter("sluice_experiment_exposure_mismatches_total", ["kind": "unassigned"]), unassigned.count
            ),
        ]
        // The series ServeDeploymentPromisesTests leaves to this test are the ones docs/operations.md names.
        let documented = Set(try ServeDeploymentPromisesTests.documentedMetrics())
        #expect(Set(checks.map { String($0.series.prefix { $0 != "{" }) }).isSubset(of: documented))
        for check in checks {
            #expect(
                check.actual == Double(check.expected),
                "\(check.series): \(check.actual.map { "\($0)" } ?? "absent") on /metrics, expected \(check.expected)"
            )
        }
        #expect(try await server.stop() == 0)

        // The rows the counters count, against the same expectations: who is in which variation, who was exposed,
        // who mismatched, who is outside with an exposure.
        let assignments = try database.query(
            """
            SELECT person_id, variant::text, (first_exposure IS NOT NULL)::text, (mismatch_at IS NOT NULL)::text
            FROM experiments.assignments WHERE experiment_key = $1 ORDER BY person_id COLLATE "C"
            """,
            [Self.key]
        )
        let expectedRows = inside.sorted { $0.id < $1.id }.map { person -> [String?] in
            [
                person.id, String(Self.variant(person.id)), String(!person.exposures.isEmpty),
                String(mismatched.contains { $0.id == person.id }),
            ]
        }
        #expect(assignments.rows == expectedRows)
        let outside = try database.query(
            """
            SELECT person_id FROM experiments.unassigned_exposures WHERE experiment_key = $1
            ORDER BY person_id COLLATE "C"
            """,
            [Self.key]
        )
        #expect(outside.rows == unassigned.map(\.id).sorted().map { [$0] as [String?] })
    }
}
