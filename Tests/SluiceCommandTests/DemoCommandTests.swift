import EmbeddedPostgres
import Foundation
import SluiceHangGuard
import SluiceTestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `sluice demo` as a user runs it: the built binary on a throwaway database and a free port, read through the
/// Stats API and the results endpoint it points at, then stopped with Ctrl-C.
@Suite struct DemoCommandTests {
    static var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("sluice").path
    }

    @Test func theDemoServesTwoSitesWithNumbersAndAWinningExperiment() async throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: Self.binary), "build it with swift build --build-tests")
        let database = try TestDatabase.fresh("demo")
        let port = try LocalClusterPort.free()
        let spool = FileManager.default.temporaryDirectory.path + "/sluice-demo-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let process = try BackgroundProcess(
            [
                Self.binary, "demo", "--port", String(port), "--days", "2", "--seed", "3", "--spool-dir", spool,
                "--database-url", database,
            ]
        )
        let keys = try await Self.readKeys(printedBy: process, port: port)
        try #require(keys.count == 2, "\(process.log)")

        let base = "http://127.0.0.1:\(port)"
        let today = Self.utcDay(Date())
        let yesterday = Self.utcDay(Date().addingTimeInterval(-2 * 86_400))
        for key in keys {
            let answer = try await Self.get(
                "\(base)/v1/stats/aggregate?from=\(yesterday)&to=\(today)"
                    + "&metrics=visitors,visits,pageviews,bounce_rate,visit_duration",
                readKey: key
            )
            let results = try #require(answer["results"] as? [String: [String: Any]], "\(answer)")
            for metric in ["visitors", "visits", "pageviews", "bounce_rate", "visit_duration"] {
                let value = try #require(
                    (results[metric]?["value"] as? NSNumber)?.doubleValue, "\(metric) in \(results)")
                #expect(value > 0, "\(metric)")
            }
        }

        // The shop's experiment: the treatment (variation 1) converts more than the control.
        let report = try await Self.get("\(base)/v1/experiments/checkout-button/results", readKey: keys[0])
        let variations = try #require(report["variations"] as? [[String: Any]], "\(report)")
        try #require(variations.count == 2)
        let users = variations.map { ($0["users"] as? NSNumber)?.intValue ?? 0 }
        #expect(users.allSatisfy { $0 > 0 }, "\(variations)")
        let control = try #require((variations[0]["conversionRate"] as? NSNumber)?.doubleValue)
        let treatment = try #require((variations[1]["conversionRate"] as? NSNumber)?.doubleValue)
        #expect(treatment > control, "\(variations)")

        process.signal(SIGINT)
        var status: Int32?
        try await HangGuard.wait(for: "sluice demo exiting after SIGINT") {
            status = try? process.wait(timeout: .zero)
            return status != nil
        }
        #expect(status == 0, "\(process.log)")
        #expect(process.log.contains("sluice: stopped"))
    }

    /// Ctrl-C while the traffic is still being sent is a clean stop (exit 0, no error line), not a failure.
    @Test func ctrlCWhileSendingStopsCleanly() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "build it with swift build --build-tests")
        let database = try TestDatabase.fresh("demointerrupted")
        let spool = FileManager.default.temporaryDirectory.path + "/sluice-demo-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let process = try BackgroundProcess(
            [
                Self.binary, "demo", "--port", "0", "--days", "30", "--spool-dir", spool, "--database-url", database,
            ]
        )
        try await HangGuard.wait(for: "sluice demo sending its first events") {
            if process.log.contains("sluice: sent ") { return true }
            if let status = try? process.wait(timeout: .zero) {
                throw DemoTestError("sluice demo exited (\(status)) before sending:\n\(process.log)")
            }
            return false
        }
        process.signal(SIGINT)
        var status: Int32?
        try await HangGuard.wait(for: "sluice demo exiting after SIGINT") {
            status = try? process.wait(timeout: .zero)
            return status != nil
        }
        #expect(status == 0, "\(process.log)")
        #expect(!process.log.contains("sluice: error"), "\(process.log)")
        #expect(process.log.contains("sluice: stopped"))
    }

    /// The read keys of the dashboard addresses the demo prints (`http://127.0.0.1:PORT/#key=rk_…`), in order.
    static func readKeys(printedBy process: BackgroundProcess, port: Int) async throws -> [String] {
        var keys: [String] = []
        try await HangGuard.wait(for: "sluice demo printing both dashboard addresses") {
            keys = process.log.split(separator: "\n").compactMap { line in
                guard let range = line.range(of: "http://127.0.0.1:\(port)/#key=") else { return nil }
                return String(line[range.upperBound...].prefix { !$0.isWhitespace })
            }
            if keys.count >= 2 { return true }
            if let status = try? process.wait(timeout: .zero) {
                throw DemoTestError("sluice demo exited (\(status)) before printing its addresses:\n\(process.log)")
            }
            return false
        }
        return keys
    }

    static func get(_ url: String, readKey: String) async throws -> [String: Any] {
        var request = URLRequest(url: try #require(URL(string: url)))
        request.setValue("Bearer \(readKey)", forHTTPHeaderField: "Authorization")
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode
        try #require(status == 200, "\(url) answered \(status ?? 0): \(String(decoding: data, as: UTF8.self))")
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func utcDay(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: date)
    }
}

struct DemoTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
