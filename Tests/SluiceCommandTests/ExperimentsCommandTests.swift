import Foundation
import SluicePostgres
import SluiceStore
import SluiceTestSupport
import Testing

/// `sluice experiments …` and `sluice jobs run assignments` through the built binary.
extension SluiceCommandTests {
    /// A migrated database with one project; returns its URL and the project's id.
    func experimentsDatabase(_ label: String) async throws -> (url: String, project: String) {
        let url = try TestDatabase.fresh(label)
        try Migrator.bundled().migrate(try PostgresConnection(url))
        let created = try await sluice(["projects", "create", "Shop", "--json", "--database-url", url])
        let line = try #require(created.output.split(separator: "\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        return (url, String(try #require(object["id"] as? Int)))
    }

    /// Writes `text` to a temporary file and returns its path.
    func experimentFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("experiment-\(UUID()).json").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Every bad experiment file is one line naming the field, exit 64, and nothing stored.
    @Test(arguments: [
        (#"{"key":"k","variations":["a","b"]"#, "not JSON"),
        (#"not json at all"#, "not JSON"),
        (#"{"variations":["a","b"]}"#, "key"),
        (#"{"key":"k"}"#, "variations"),
        (#"{"key":"k","variations":["a","b"],"weights":[0.2,0.3,0.5]}"#, "weights"),
        (#"{"key":"k","variations":["a","b"],"weights":[1.5,-0.5]}"#, "weights[1]"),
        (#"{"key":"k","variations":["a","b"],"coverage":1.5}"#, "coverage"),
        (#"{"key":"k","variations":["a","b"],"coverage":-0.1}"#, "coverage"),
        (#"{"key":"k","variations":["a","b"],"hashVersion":3}"#, "hashVersion"),
        (#"{"key":"k","variations":["a","b"],"namespace":"ns"}"#, "namespace"),
        (#"{"key":"k","variations":["a","b"],"namespace":["ns",0.6,0.2]}"#, "namespace"),
        (#"{"key":"k","variations":["a","b"],"namespace":["ns",0]}"#, "namespace"),
    ])
    func aBadExperimentFileIsOneLineNamingTheField(file: String, field: String) async throws {
        let database = try await experimentsDatabase("badfile")
        let path = try experimentFile(file)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try await sluice(["experiments", "create", "--project", database.project, "--file", path, "--database-url", database.url])
        #expect(run.status == 64, "\(run.output)")
        #expect(run.errorLines.count == 1, "\(run.output)")
        #expect(run.output.split(separator: "\n").count == 1, "nothing else is printed: \(run.output)")
        let line = try #require(run.errorLines.first)
        #expect(line.contains(field == "not JSON" ? "not JSON" : "\(field):"), "\(line)")
        #expect(line.contains("nothing was stored"))
        let stored = try PostgresConnection(database.url).query("SELECT count(*) FROM experiments.experiments")
        #expect(try stored.int(0, 0) == 0)
    }

    @Test func experimentsCreateListStopAndResultsEndToEnd() async throws {
        let database = try await experimentsDatabase("experimentscli")
        let base = ["--project", database.project, "--database-url", database.url]
        let file = try experimentFile(
            #"{"key":"checkout","variations":["control","treatment"],"goalEvent":"Order Completed"}"#
        )
        defer { try? FileManager.default.removeItem(atPath: file) }
        let created = try await sluice(["experiments", "create", "--file", file] + base)
        #expect(created.status == 0 && created.output.contains(#"created experiment "checkout" (version 1, running)"#))

        let reweighted = try experimentFile(
            #"{"key":"checkout","variations":["control","treatment"],"weights":[0.2,0.8],"goalEvent":"Order Completed"}"#
        )
        defer { try? FileManager.default.removeItem(atPath: reweighted) }
        let refused = try await sluice(["experiments", "create", "--file", reweighted] + base)
        #expect(refused.status == 64 && refused.errorLines.count == 1)
        #expect(refused.errorLines.first?.contains("use --force to start its version 2") == true)
        let forced = try await sluice(["experiments", "create", "--file", reweighted, "--force"] + base)
        #expect(forced.status == 0 && forced.output.contains("starts version 2"), "\(forced.output)")

        let listed = try await sluice(["experiments", "list"] + base)
        #expect(listed.status == 0 && listed.output.contains("checkout") && listed.output.contains("0.2/0.8"))
        let listedJSON = try await sluice(["experiments", "list", "--json"] + base)
        let line = try #require(listedJSON.output.split(separator: "\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["version"] as? Int == 2 && object["key"] as? String == "checkout")

        // People and their exposures, loaded as the loader would; then the job, then the results.
        let connection = try PostgresConnection(database.url)
        let project = try #require(Int64(database.project))
        try connection.execute(
            """
            INSERT INTO analytics.events (project_id, message_id, type, event, user_id, "timestamp", received_at, properties)
            SELECT \(project), 'm' || n || '-' || kind, 'track', CASE kind WHEN 'x' THEN 'Experiment Viewed' ELSE 'Order Completed' END,
                'u' || n, now() + make_interval(secs => CASE kind WHEN 'x' THEN 1 ELSE 2 END), now(),
                CASE kind WHEN 'x' THEN '{"experiment_id":"checkout","variation_id":"0"}'::jsonb END
            FROM generate_series(1, 40) n, (VALUES ('x'), ('g')) k(kind)
            """
        )
        let job = try await sluice(["jobs", "run", "assignments", "--database-url", database.url], environment: ["SLUICE_ASSIGNMENTS_SETTLE": "0"])
        #expect(job.status == 0 && job.output.contains("assignments: 1 project(s): assigned 40"), "\(job.output)")
        #expect(try await sluice(["jobs", "run", "assignments", "--database-url", database.url], environment: ["SLUICE_ASSIGNMENTS_SETTLE": "zero"]).status == 64)

        let results = try await sluice(["experiments", "results", "checkout"] + base)
        #expect(results.status == 0, "\(results.output)")
        #expect(results.output.contains("VARIANT") && results.output.contains("(control)"))
        let exposedToControl = try connection.query(
            "SELECT count(*) FROM experiments.assignments WHERE variant = 0 AND version = 2"
        ).int(0, 0) ?? 0
        #expect(exposedToControl < 40, "with weights 0.2/0.8 most are in the treatment")
        #expect(results.output.contains("exposed to another variation"), "the treatment's people were shown the control")
        let resultsJSON = try await sluice(["experiments", "results", "checkout", "--json"] + base)
        let reportLine = try #require(resultsJSON.output.split(separator: "\n").last)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(reportLine.utf8)) as? [String: Any])
        let variations = try #require(report["variations"] as? [[String: Any]])
        #expect(variations.first?["users"] as? Int == exposedToControl)
        #expect(variations.first?["converters"] as? Int == exposedToControl, "all of them ordered after the exposure")
        #expect((report["exposures"] as? [String: Any])?["mismatched"] as? Int == 40 - exposedToControl)

        // A split that does not fit the weights is shown first, and loudly.
        try connection.execute("UPDATE experiments.experiments SET weights = '{0.99,0.01}'")
        try connection.execute(
            "UPDATE experiments.assignments SET mismatch_at = NULL, mismatch_variant = NULL, first_exposure = first_seen"
        )
        let srm = try await sluice(["experiments", "results", "checkout"] + base)
        let lines = srm.output.split(separator: "\n")
        let banner = try #require(lines.firstIndex { $0.contains("SAMPLE RATIO MISMATCH") })
        let table = try #require(lines.firstIndex { $0.hasPrefix("VARIANT") })
        #expect(banner < table, "\(srm.output)")

        let stopped = try await sluice(["experiments", "stop", "checkout"] + base)
        #expect(stopped.status == 0 && stopped.output.contains("stopped experiment \"checkout\""))
        let unknown = try await sluice(["experiments", "stop", "nope"] + base)
        #expect(unknown.status == 64 && unknown.errorLines.count == 1)
        let noProject = try await sluice(["experiments", "list", "--project", "999", "--database-url", database.url])
        #expect(noProject.status == 64 && noProject.errorLines.first?.contains("no project 999") == true)
    }

    /// The variant endpoint through a real `sluice serve` (its wiring into the server), measured briefly.
    @Test func benchExperimentsReportsItsJSONLine() async throws {
        let server = try TestDatabase.cluster().connectionString()
        let run = try await sluice([
            "bench", "experiments", "--requests", "3000", "--connections", "2", "--json", "--database-url", server,
        ])
        #expect(run.status == 0, "\(run.output)")
        let line = try #require(run.output.split(separator: "\n").last)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(report["requests"] as? Int == 3000)
        #expect((report["requestsPerSecond"] as? Double ?? 0) > 0)
        let p50 = try #require(report["p50Ms"] as? Double)
        let p99 = try #require(report["p99Ms"] as? Double)
        #expect(p50 > 0 && p99 >= p50)
    }
}
