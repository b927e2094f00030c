import EmbeddedPostgres
import Foundation
import Logging
import Prometheus
import ServiceLifecycle
import SluicePostgres
import SluiceScheduler
import SluiceSchedulerCore
import SluiceStore
import SluiceHangGuard
import SluiceTestSupport
import Testing

/// Waits for a condition with the suite-wide hang guard.
func waitUntil(_ what: String, _ condition: () throws -> Bool) async throws {
    try await HangGuard.wait(for: what, until: condition)
}

let testLogger: Logger = {
    var logger = Logger(label: "scheduler-test") { StreamLogHandler.standardError(label: $0) }
    logger.logLevel = .warning
    return logger
}()

/// A fresh database with Sluice's schema; returns its connection string.
func migratedDatabase(_ label: String) throws -> String {
    let url = try TestDatabase.fresh(label)
    try Migrator.bundled().migrate(try PostgresConnection(url))
    return url
}

/// A `Scheduler` running in a service group of its own, with its own metrics registry, until `stop()`.
final class RunningScheduler: @unchecked Sendable {
    let holder: String
    let registry = PrometheusCollectorRegistry()
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    init(_ url: String, holder: String, entries: [Scheduler.Entry], yielding: JobYielding? = nil) {
        self.holder = holder
        let metrics = SchedulerMetrics(registry: registry, jobs: entries.map(\.job.name))
        let scheduler = Scheduler(
            connectionString: url, holder: holder, entries: entries, metrics: metrics, yielding: yielding,
            logger: testLogger
        )
        let group = ServiceGroup(services: [scheduler], logger: testLogger)
        self.group = group
        task = Task { try await group.run() }
    }

    /// Triggers a graceful shutdown and waits until the scheduler has stopped.
    func stop() async throws {
        await beginStop()
        try await stopped()
    }

    /// Triggers a graceful shutdown: from now on no run starts.
    func beginStop() async {
        await group.triggerGracefulShutdown()
    }

    /// Waits until the scheduler has stopped (its runs in flight finished).
    func stopped() async throws {
        try await task.value
    }

    /// The value of the series `name{labels}` in this scheduler's registry, if it has one.
    func metric(_ series: String) -> Double? {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        let text = String(decoding: buffer, as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    /// How often this scheduler found `job`'s lease held by someone else.
    func skipped(_ job: String) -> Int {
        Int(metric("sluice_job_runs_total{job=\"\(job)\",status=\"skipped\"}") ?? 0)
    }
}

/// Reads `sluice.job_runs` for a test.
struct RecordedRun {
    let node: String
    let status: String
    let startedAt: Int64
    let finishedAt: Int64?
    let rowsTouched: Int
    let token: Int?
    let error: String?
    let summary: String?

    static func all(_ job: String, on connection: PostgresConnection) throws -> [RecordedRun] {
        let result = try connection.query(
            """
            SELECT node, status, (extract(epoch FROM started_at) * 1000000)::bigint,
                (extract(epoch FROM finished_at) * 1000000)::bigint, rows_touched, token, error, summary
            FROM sluice.job_runs WHERE job = $1 ORDER BY started_at, id
            """,
            [job]
        )
        return try (0..<result.rowCount).map { row in
            RecordedRun(
                node: result.string(row, 0)!, status: result.string(row, 1)!,
                startedAt: Int64(try result.int(row, 2)!), finishedAt: try result.int(row, 3).map(Int64.init),
                rowsTouched: try result.int(row, 4)!, token: try result.int(row, 5), error: result.string(row, 6),
                summary: result.string(row, 7)
            )
        }
    }
}

/// Checks that no two finished runs overlap in time (by the database's clock).
func expectDisjoint(_ runs: [RecordedRun], sourceLocation: SourceLocation = #_sourceLocation) {
    let finished = runs.filter { $0.status == "succeeded" || $0.status == "failed" }.sorted {
        $0.startedAt < $1.startedAt
    }
    for (earlier, later) in zip(finished, finished.dropFirst()) {
        #expect(
            (earlier.finishedAt ?? .max) <= later.startedAt,
            "runs overlap: \(earlier.node) until \(earlier.finishedAt ?? -1), \(later.node) from \(later.startedAt)",
            sourceLocation: sourceLocation
        )
    }
}

/// An open transaction holding a lock on `analytics.events` that the partitions job's `ACCESS EXCLUSIVE`
/// lock must wait for: whoever runs the job while it is held stays inside its run, holding the lease.
final class EventsTableBlocker {
    private let connection: PostgresConnection

    init(_ url: String) throws {
        connection = try PostgresConnection(url)
        try connection.execute("BEGIN")
        try connection.execute("LOCK TABLE analytics.events IN ACCESS SHARE MODE")
    }

    /// Whether some session is waiting for a lock on `analytics.events` (a partitions run, blocked).
    func hasWaiter() throws -> Bool {
        try connection.query(
            "SELECT count(*) FROM pg_locks WHERE relation = 'analytics.events'::regclass AND NOT granted"
        ).int(0, 0) ?? 0 > 0
    }

    func release() throws {
        try connection.execute("ROLLBACK")
    }
}
