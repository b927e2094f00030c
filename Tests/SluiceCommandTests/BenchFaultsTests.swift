import Foundation
import SluiceTestSupport
import Testing

/// The fault table's short form, as CI runs it: every fault injected under load through a real `sluice serve`
/// child and a private PostgreSQL cluster, and every acknowledged event stored exactly once afterwards.
@Suite struct BenchFaultsTests {
    @Test func everyFaultLosesAndDuplicatesNothing() async throws {
        let run = try await SluiceBinary.run(["bench", "faults", "--quick", "--json"])
        #expect(run.status == 0, "\(run.output)")
        let line = try #require(run.output.split(separator: "\n").last)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let faults = try #require(report["faults"] as? [[String: Any]])
        let names = faults.compactMap { $0["fault"] as? String }
        #expect(
            names == [
                "kill-9", "postgres-restart", "restart-in-outage", "postgres-slow", "disk-full", "torn-tail", "sigterm",
            ]
        )
        for fault in faults {
            let name = fault["fault"] as? String ?? "?"
            if fault["skipped"] != nil {
                // Only the disk-full fault needs root (for a tmpfs); CI runs as root, so there it must run.
                #expect(name == "disk-full" && geteuid() != 0, "\(name) skipped: \(fault["skipped"] ?? "")")
                continue
            }
            #expect((fault["acknowledged"] as? Int ?? 0) > 0, "\(name): nothing acknowledged")
            #expect(fault["lost"] as? Int == 0, "\(name) lost events")
            #expect(fault["duplicated"] as? Int == 0, "\(name) duplicated events")
            #expect(fault["recoverySeconds"] as? Double != nil, "\(name) never recovered")
        }
        #expect(run.output.contains("kill -9 of the server"))
    }
}
