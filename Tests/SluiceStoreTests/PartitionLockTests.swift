import Foundation
import SluiceCore
import SluiceHangGuard
import SluicePostgres
import SluiceStore
import SluiceTestSupport
import Synchronization
import Testing

/// The partitions job against a real long-running query that holds a lock on `analytics.events`: it must give
/// up on the exclusive lock within its `lock_timeout` and retry, and a `COPY` must never queue behind it for the
/// length of that query.
@Suite struct PartitionLockTests {
    let today = CalendarDay.today()

    /// A statement or transaction on its own connection and thread, holding locks until it is cancelled or
    /// told to finish.
    final class Blocker: Sendable {
        let name = "sluice-blocker-\(UInt32.random(in: 0...UInt32.max))"
        private let finished = DispatchSemaphore(value: 0)
        let failure = Mutex<String?>(nil)

        /// Runs `statements` one after another; the last is expected to run until cancelled (or to end when
        /// the transaction the others opened is committed from ``commit(_:)``).
        init(connectionString: String, statements: [String]) {
            let name = self.name
            let thread = Thread { [self] in
                do {
                    let connection = try PostgresConnection(connectionString)
                    try connection.query("SELECT set_config('application_name', $1, false)", [name])
                    for statement in statements { try connection.execute(statement) }
                } catch {
                    failure.withLock { $0 = "\(error)" }
                }
                finished.signal()
            }
            thread.start()
        }

        /// Waits for the blocker's thread to end.
        func wait() -> Bool { finished.wait(timeout: .now() + HangGuard.limitInSeconds) == .success }
    }

    /// One run of the partitions job on a thread of its own, with its own connection.
    final class JobRun: Sendable {
        private let finished = DispatchSemaphore(value: 0)
        private let outcome = Mutex<Result<PartitionMaintainer.Report, any Error>?>(nil)

        init(_ maintainer: PartitionMaintainer, connectionString: String, today: CalendarDay) {
            let thread = Thread { [self] in
                let result = Result { () throws -> PartitionMaintainer.Report in
                    try maintainer.run(try PostgresConnection(connectionString), today: today)
                }
                outcome.withLock { $0 = result }
                finished.signal()
            }
            thread.start()
        }

        /// The run's outcome, or nil when it has not ended within the (generous) guard.
        func wait() -> Result<PartitionMaintainer.Report, any Error>? {
            guard finished.wait(timeout: .now() + HangGuard.limitInSeconds) == .success else { return nil }
            return outcome.withLock { $0 }
        }
    }

    /// Whether the backend named `name` holds a granted lock on `analytics.events` in `mode`.
    private func holds(_ admin: PostgresConnection, _ name: String, _ mode: String) throws -> Bool {
        try admin.query(
            """
            SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                           WHERE a.application_name = $1 AND l.relation = 'analytics.events'::regclass
                             AND l.mode = $2 AND l.granted)
            """,
            [name, mode]
        ).bool(0, 0) ?? false
    }

    /// Whether some backend waits for an `ACCESS EXCLUSIVE` lock on `analytics.events`.
    private func exclusiveRequestWaits(_ admin: PostgresConnection) throws -> Bool {
        try admin.query(
            """
            SELECT EXISTS (SELECT 1 FROM pg_locks WHERE relation = 'analytics.events'::regclass
                           AND mode = 'AccessExclusiveLock' AND NOT granted)
            """
        ).bool(0, 0) ?? false
    }

    private func isActive(_ admin: PostgresConnection, _ name: String) throws -> Bool {
        try admin.query(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND state = 'active')", [name]
        ).bool(0, 0) ?? false
    }

    private func row(_ id: String) -> EventRow {
        EventRow(
            projectID: 1, messageID: id, type: .track, event: "E", anonymousID: "a", timestamp: today.start,
            receivedAt: Timestamp.now()
        )
    }

    @Test func aLongQueryMakesTheJobGiveUpAndRetryWhileCopiesGoThrough() throws {
        let admin = try TestDatabase.migrated("lockwait")
        let connectionString = admin.connectionString
        try PartitionMaintainer(backfillDays: 0, premakeDays: 0).run(admin, today: today)

        // A real long query: an ACCESS SHARE lock on the table (and its partitions) for ten minutes.
        let blocker = Blocker(
            connectionString: connectionString, statements: ["SELECT pg_sleep(600), count(*) FROM analytics.events"]
        )
        try HangGuard.wait(for: "the long query's lock") { try holds(admin, blocker.name, "AccessShareLock") }

        var maintainer = PartitionMaintainer(backfillDays: 0, premakeDays: 3)
        maintainer.lockTimeout = .seconds(2)  // allow-timing: the lock_timeout under test
        maintainer.lockAttempts = 3
        maintainer.lockRetryDelays = .milliseconds(100) ... .milliseconds(200)  // allow-timing: pauses under test
        let job = JobRun(maintainer, connectionString: connectionString, today: today)

        // While the job's exclusive request waits, a COPY arrives: it may wait for the request's timeout, but
        // it must complete while the long query still runs, not after it.
        try HangGuard.wait(for: "the job's exclusive lock request") { try exclusiveRequestWaits(admin) }
        let copier = try PostgresConnection(connectionString)
        #expect(try copier.copyEvents([row("during-the-wait")]) == 1)
        #expect(try isActive(admin, blocker.name), "the COPY completed while the long query still ran")

        let result = try #require(job.wait(), "the partitions job hung behind the long query")
        switch result {
        case .success(let report): Issue.record("the job cannot have taken the lock, yet reported \(report)")
        case .failure(let error):
            let message = "\(error)"
            #expect(message.contains("could not lock analytics.events within 2.0 seconds in 3 attempts"), "\(message)")
        }
        #expect(try isActive(admin, blocker.name), "the job gave up while the long query still ran")
        // Nothing half-made: the days it wanted are still missing.
        let partitions = try admin.query(
            "SELECT count(*) FROM pg_inherits WHERE inhparent = 'analytics.events'::regclass"
        ).int(0, 0)
        #expect(partitions == 2, "today's partition and the default one, nothing else")

        try admin.query("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [blocker.name])
        #expect(blocker.wait(), "the long query did not end when cancelled")
        #expect(blocker.failure.withLock { $0 }?.contains("57014") == true, "the long query was cancelled")
    }

    @Test func theJobRetriesUntilTheLockIsFreeAndThenCreatesItsDays() throws {
        let admin = try TestDatabase.migrated("lockretry")
        let connectionString = admin.connectionString
        try PartitionMaintainer(backfillDays: 0, premakeDays: 0).run(admin, today: today)

        // An open transaction holding a lock that conflicts with ACCESS EXCLUSIVE, until it is cancelled.
        let blocker = Blocker(
            connectionString: connectionString,
            statements: ["BEGIN", "LOCK TABLE analytics.events IN ACCESS SHARE MODE", "SELECT pg_sleep(600)"]
        )
        try HangGuard.wait(for: "the blocker's lock") { try holds(admin, blocker.name, "AccessShareLock") }

        var maintainer = PartitionMaintainer(backfillDays: 0, premakeDays: 2)
        maintainer.lockTimeout = .milliseconds(300)  // allow-timing: the lock_timeout under test
        maintainer.lockAttempts = 1_000
        maintainer.lockRetryDelays = .milliseconds(100) ... .milliseconds(100)  // allow-timing: pauses under test
        let job = JobRun(maintainer, connectionString: connectionString, today: today)

        // Seen waiting, then not (it timed out and rolled back), then waiting again: it retried.
        try HangGuard.wait(for: "the job's first lock request") { try exclusiveRequestWaits(admin) }
        try HangGuard.wait(for: "the job's first timeout") { try !exclusiveRequestWaits(admin) }
        try HangGuard.wait(for: "the job's retry") { try exclusiveRequestWaits(admin) }
        try admin.query("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [blocker.name])
        #expect(blocker.wait(), "the blocker did not end when cancelled")

        let report = try #require(job.wait(), "the partitions job hung after the lock was freed").get()
        #expect(report.attempts >= 2, "it took the lock on a retry")
        #expect(report.created == [1, 2].map { PartitionMaintainer.partitionName(for: today.adding(days: $0)) })
    }

    @Test func theLockTimeoutIsReadFromTheEnvironment() throws {
        #expect(try PartitionMaintainer.fromEnvironment([:]).lockTimeout == .seconds(1))  // allow-timing: default
        let set = try PartitionMaintainer.fromEnvironment(["SLUICE_PARTITIONS_LOCK_TIMEOUT": "15"])
        #expect(set.lockTimeout == .seconds(15))  // allow-timing: the value set
        for bad in ["0", "3601", "1s", "-2"] {
            #expect {
                _ = try PartitionMaintainer.fromEnvironment(["SLUICE_PARTITIONS_LOCK_TIMEOUT": bad])
            } throws: { error in
                (error as? StoreError)?.message.contains("SLUICE_PARTITIONS_LOCK_TIMEOUT must be") == true
            }
        }
    }
}
