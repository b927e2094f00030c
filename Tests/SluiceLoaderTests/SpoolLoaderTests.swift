import Foundation
import SluiceCore
import SluiceHangGuard
import SluiceLoader
import SluicePostgres
import SluiceSpool
import SluiceTestSupport
import Synchronization
import Testing

/// The loader against a real PostgreSQL and real spool files written as the server writes them.
@Suite struct SpoolLoaderTests {
    /// Loads until the spool has nothing new; returns the reports of the batches that loaded something.
    @discardableResult
    func loadAll(_ loader: SpoolLoader) throws -> [LoadReport] {
        var reports: [LoadReport] = []
        while true {
            let report = try loader.loadAvailable()
            if report.records == 0 { return reports }
            reports.append(report)
        }
    }

    // MARK: - Exactly once

    @Test func loadsEveryRowOnceAdvancesTheCheckpointAndDeletesSegments() throws {
        let fixture = try LoaderFixture("loadall")
        let writer = try fixture.writer(segmentBytes: 1)  // a segment per record
        var end = SpoolPosition.start
        for record in 0..<10 {
            end = try writer.append(Payload.bytes(Payload.rows(record * 50, 50)))
        }
        try writer.sync()
        #expect(try fixture.segments().count == 10)

        let loader = fixture.loader(maxBatchRows: 120)
        #expect(try loader.committedPosition() == .start)
        let reports = try loadAll(loader)

        // 120 rows a batch at most and records are never split: two records (100 rows) a batch.
        #expect(reports.map(\.rows) == [100, 100, 100, 100, 100])
        #expect(reports.allSatisfy { $0.records == 2 && $0.deadLetters == 0 })
        #expect(reports.last?.position == end)
        #expect(try fixture.count() == 500)
        #expect(try fixture.count("SELECT count(DISTINCT message_id) FROM analytics.events") == 500)
        #expect(try fixture.checkpoint()?.position == end)
        #expect(try fixture.checkpoint()?.rows == 500)
        #expect(loader.position == end)
        #expect(loader.rowsLoaded == 500)
        // Every segment before the checkpoint's is gone; the checkpoint's own is kept for the reader.
        #expect(try fixture.segments() == [end.segment])

        // The values arrive as written.
        let row = try fixture.database.query(
            """
            SELECT project_id, type, event, anonymous_id, properties->>'n',
                   (extract(epoch FROM "timestamp") * 1000000)::int8::text
            FROM analytics.events WHERE message_id = 'm-321'
            """
        )
        let expected = Payload.rows(321, 1)[0]
        #expect(
            row.rows.first == [
                "1", "track", expected.event, expected.anonymousID, "321", "\(expected.timestamp.unixMicroseconds)",
            ])
    }

    @Test func aNewLoaderResumesFromTheCommittedCheckpoint() throws {
        let fixture = try LoaderFixture("restart")
        let writer = try fixture.writer()
        _ = try writer.append(Payload.bytes(Payload.rows(0, 30)))
        _ = try writer.append(Payload.bytes(Payload.rows(30, 30)))
        try writer.sync()
        try loadAll(fixture.loader())
        #expect(try fixture.count() == 60)

        // A restart: a new loader over the same spool and database loads nothing again.
        let restarted = fixture.loader()
        #expect(try restarted.loadAvailable().records == 0)
        #expect(try fixture.count() == 60)

        // Records written afterwards are loaded by the new loader, once.
        let end = try writer.append(Payload.bytes(Payload.rows(60, 25)))
        try writer.sync()
        let report = try restarted.loadAvailable()
        #expect(report.rows == 25 && report.records == 1 && report.position == end)
        #expect(try restarted.loadAvailable().records == 0)
        #expect(try fixture.count() == 85)
        #expect(try fixture.duplicates() == 0)
        #expect(try fixture.checkpoint()?.rows == 85)
    }

    @Test func picksUpRecordsAppendedAfterALoad() throws {
        let fixture = try LoaderFixture("append")
        let writer = try fixture.writer()
        let loader = fixture.loader()
        #expect(try loader.loadAvailable().records == 0)  // nothing written yet

        _ = try writer.append(Payload.bytes(Payload.rows(0, 10)))
        try writer.flush()  // visible to the reader, as after a group commit
        #expect(try loader.loadAvailable().rows == 10)

        let end = try writer.append(Payload.bytes(Payload.rows(10, 7)))
        try writer.flush()
        let report = try loader.loadAvailable()
        #expect(report.rows == 7 && report.position == end)
        #expect(loader.waitUntilLoaded(end, timeout: .zero))
        #expect(try fixture.count() == 17)
    }

    @Test func aLoaderWithAStaleInMemoryPositionCannotLoadTwice() throws {
        let fixture = try LoaderFixture("stale")
        let writer = try fixture.writer()
        _ = try writer.append(Payload.bytes(Payload.rows(0, 20)))
        try writer.sync()
        let stale = fixture.loader()
        #expect(try stale.loadAvailable().rows == 20)

        // Another loader of the same node (a restart that overlapped the old process) loads the next
        // records; the first loader's in-memory position is now behind the database's checkpoint.
        _ = try writer.append(Payload.bytes(Payload.rows(20, 20)))
        let end = try writer.append(Payload.bytes(Payload.rows(40, 20)))
        try writer.sync()
        #expect(try fixture.loader().loadAvailable().rows == 40)

        // The stale loader reads the same records again, but its checkpoint update finds the row moved:
        // the batch rolls back, and after re-reading the checkpoint there is nothing left to load.
        #expect {
            try stale.loadAvailable()
        } throws: { error in
            (error as? LoaderError)?.code == .checkpointMoved
        }
        #expect(try stale.loadAvailable().records == 0)
        #expect(stale.position == end)
        #expect(try fixture.count() == 60)
        #expect(try fixture.duplicates() == 0)
    }

    @Test func aConnectionLostBeforeTheCommitLoadsTheBatchOnceOnRetry() throws {
        let fixture = try LoaderFixture("crash")
        // The checkpoint update kills its own session while the flag is set: the COPY has run, the commit
        // never happens, and the client cannot know whether it did.
        try fixture.database.execute(
            """
            CREATE TABLE crash_flag (on_update boolean);
            INSERT INTO crash_flag VALUES (true);
            CREATE FUNCTION crash_before_commit() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF EXISTS (SELECT 1 FROM crash_flag WHERE on_update) THEN
                    PERFORM pg_terminate_backend(pg_backend_pid());
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER crash_before_commit BEFORE UPDATE ON sluice.spool_checkpoints
                FOR EACH ROW EXECUTE FUNCTION crash_before_commit();
            """
        )
        let writer = try fixture.writer()
        let end = try writer.append(Payload.bytes(Payload.rows(0, 40)))
        try writer.sync()

        let loader = fixture.loader()
        #expect(throws: PostgresError.self) { try loader.loadAvailable() }
        #expect(try fixture.count() == 0)
        #expect(try fixture.checkpoint()?.position == .start)

        try fixture.database.execute("UPDATE crash_flag SET on_update = false")
        let report = try loader.loadAvailable()  // reconnects and starts again from the checkpoint
        #expect(report.rows == 40 && report.position == end)
        #expect(try loader.loadAvailable().records == 0)
        #expect(try fixture.count() == 40)
        #expect(try fixture.duplicates() == 0)
    }

    @Test func aRecordLargerThanTheBatchLimitLoadsAlone() throws {
        let fixture = try LoaderFixture("bigrecord")
        let writer = try fixture.writer()
        _ = try writer.append(Payload.bytes(Payload.rows(0, 10)))
        _ = try writer.append(Payload.bytes(Payload.rows(10, 300)))
        let end = try writer.append(Payload.bytes(Payload.rows(310, 10)))
        try writer.sync()
        let reports = try loadAll(fixture.loader(maxBatchRows: 100))
        #expect(reports.map(\.rows) == [10, 300, 10])
        #expect(reports.last?.position == end)
        #expect(try fixture.count() == 320)
    }

    // MARK: - Rows PostgreSQL refuses

    @Test func refusedRowsGoToDeadLettersAndTheRestLoads() throws {
        let fixture = try LoaderFixture("deadletters")
        let writer = try fixture.writer()
        let good = Payload.rows(0, 40)
        // Invalid JSON in a jsonb column (22P02), an unknown type (CHECK constraint, 23514) and a uuid
        // of 4 bytes (a receive function reading past its value).
        var badJSON = Payload.rows(1000, 1)[0]
        badJSON.properties = "{not json"
        let badType = try Payload.tuple(Payload.rows(1001, 1)[0], replacingField: 2, with: Array("bogus".utf8))
        let badUUID = try Payload.tuple(Payload.rows(1002, 1)[0], replacingField: 8, with: [1, 2, 3, 4])
        let badJSONTuple = Payload.bytes([badJSON])

        var first = Payload.bytes(Array(good[0..<13]))
        first += badJSONTuple
        first += Payload.bytes(Array(good[13..<20]))
        let firstEnd = try writer.append(first)
        var second = badType
        second += Payload.bytes(Array(good[20..<39]))
        second += badUUID
        second += Payload.bytes(Array(good[39..<40]))
        let end = try writer.append(second)
        try writer.sync()

        let loader = fixture.loader()
        let report = try loader.loadAvailable()
        #expect(report.rows == 40)
        #expect(report.deadLetters == 3)
        #expect(report.records == 2 && report.position == end)
        #expect(try fixture.count() == 40)
        #expect(try fixture.count("SELECT count(*) FROM analytics.events WHERE message_id LIKE 'm-100_'") == 0)
        #expect(try fixture.checkpoint()?.rows == 40)

        let letters = try fixture.database.query(
            """
            SELECT message_id, project_id, split_part(error, ' ', 1), row_data, spool_segment, spool_offset, node_id
            FROM sluice.dead_letters ORDER BY message_id
            """
        )
        #expect(letters.rowCount == 3)
        #expect((0..<letters.rowCount).map { letters.string($0, 0) } == ["m-1000", "m-1001", "m-1002"])
        #expect((0..<letters.rowCount).allSatisfy { letters.string($0, 1) == "1" && letters.string($0, 6) == "node-a" })
        #expect(letters.string(0, 2) == "22P02")
        #expect(letters.string(1, 2) == "23514")
        #expect(letters.string(2, 2)?.isEmpty == false)
        // row_data holds the tuple exactly as it was spooled.
        #expect(letters.string(0, 3) == DeadLetterHex.literal(badJSONTuple))
        #expect(letters.string(1, 3) == DeadLetterHex.literal(badType))
        #expect(letters.string(2, 3) == DeadLetterHex.literal(badUUID))
        // ...and the position of the record it came from.
        #expect(letters.string(0, 4) == "0" && letters.string(0, 5) == "0")
        #expect(letters.string(1, 5) == "\(firstEnd.offset)" && letters.string(2, 5) == "\(firstEnd.offset)")
    }

    @Test func aDeadLetterReplaysAsACopyStream() throws {
        let fixture = try LoaderFixture("replay")
        var row = Payload.rows(0, 1)[0]
        row.properties = "{oops"
        let writer = try fixture.writer()
        _ = try writer.append(Payload.bytes([row]))
        try writer.sync()
        #expect(try fixture.loader().loadAvailable().deadLetters == 1)

        // Fixed by hand and replayed with the header and trailer the migration's comment gives.
        let stream = try fixture.database.query(
            """
            SELECT '\\x5047434f50590aff0d0a000000000000000000'::bytea || row_data || '\\xffff'::bytea
            FROM sluice.dead_letters
            """,
            binaryResult: true
        )
        var bytes = try #require(stream.bytes(0, 0))
        #expect(bytes.count > 21)
        try fixture.database.execute("CREATE TEMPORARY TABLE replay (LIKE analytics.events)")
        let columns = EventRow.columns.map { "\"\($0)\"" }.joined(separator: ", ")
        // As stored, the stream is well framed and fails only on the refused value.
        #expect {
            try fixture.database.copyFrom("COPY replay (\(columns)) FROM STDIN (FORMAT binary)", data: bytes)
        } throws: { error in
            (error as? PostgresError)?.sqlState == "22P02"
        }
        row.properties = "{}"
        bytes = Array(bytes[0..<19]) + Payload.bytes([row]) + [0xFF, 0xFF]
        #expect(try fixture.database.copyFrom("COPY replay (\(columns)) FROM STDIN (FORMAT binary)", data: bytes) == 1)
    }

    @Test func bytesThatAreNotTuplesBecomeOneDeadLetterAfterTheRowsBeforeThem() throws {
        let fixture = try LoaderFixture("malformed")
        let writer = try fixture.writer()
        var payload = Payload.bytes(Payload.rows(0, 5))
        let garbage: [UInt8] = [0x00, 0x1C, 0x00, 0x00, 0x00, 0x08, 0x01]  // a field cut short
        payload += garbage
        _ = try writer.append(payload)
        _ = try writer.append(Payload.bytes(Payload.rows(5, 5)))
        try writer.sync()

        let report = try fixture.loader().loadAvailable()
        #expect(report.rows == 10 && report.deadLetters == 1)
        let letter = try fixture.database.query(
            "SELECT project_id, message_id, error LIKE 'malformed spool record%', row_data FROM sluice.dead_letters"
        )
        #expect(letter.rowCount == 1)
        #expect(letter.isNull(0, 0) && letter.isNull(0, 1))
        #expect(letter.bool(0, 2) == true)
        #expect(letter.string(0, 3) == DeadLetterHex.literal(garbage))
    }

    @Test func manyRefusedRowsAreEachFoundAcrossSegments() throws {
        let fixture = try LoaderFixture("manybad")
        let writer = try fixture.writer(segmentBytes: 1)
        var bad: Set<String> = []
        var state: UInt64 = 42
        var record: [UInt8] = []
        var starts: [String: SpoolPosition] = [:]
        var recordStart = SpoolPosition.start
        for index in 0..<400 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            var row = Payload.rows(index, 1)[0]
            if state >> 59 == 0 {  // about 1 in 32
                row.properties = "[unclosed"
                bad.insert(row.messageID)
                starts[row.messageID] = recordStart
            }
            record += Payload.bytes([row])
            if index % 50 == 49 {
                let end = try writer.append(record)
                recordStart = SpoolPosition(segment: end.segment + 1, offset: 0)
                record = []
            }
        }
        try writer.sync()
        #expect(bad.count > 3)

        let reports = try loadAll(fixture.loader())
        #expect(reports.reduce(0) { $0 + $1.rows } == 400 - bad.count)
        #expect(reports.reduce(0) { $0 + $1.deadLetters } == bad.count)
        #expect(try fixture.count() == 400 - bad.count)
        let letters = try fixture.database.query(
            "SELECT message_id, spool_segment, spool_offset FROM sluice.dead_letters")
        let found = Dictionary(
            uniqueKeysWithValues: letters.rows.map {
                ($0[0]!, SpoolPosition(segment: UInt64($0[1]!)!, offset: UInt64($0[2]!)!))
            }
        )
        #expect(Set(found.keys) == bad)
        #expect(found == starts)
    }

    @Test func aPartitionDroppedBehindTheLoadersBackIsCreatedAgain() throws {
        let fixture = try LoaderFixture("dropped")
        let today = CalendarDay.today()
        let writer = try fixture.writer()
        _ = try writer.append(Payload.bytes(Payload.rows(0, 10, day: today)))
        try writer.sync()
        let loader = fixture.loader()
        #expect(try loader.loadAvailable().rows == 10)

        // Without the default partition, a row whose partition is missing fails with 23514: the loader must
        // look again, create the partition and load, not split the batch into dead letters.
        try fixture.database.execute(
            "DROP TABLE analytics.events_p\(today.compact); DROP TABLE analytics.events_default")
        _ = try writer.append(Payload.bytes(Payload.rows(10, 10, day: today)))
        try writer.sync()
        let report = try loader.loadAvailable()
        #expect(report.rows == 10 && report.deadLetters == 0)
        #expect(
            try fixture.count("SELECT count(*) FROM analytics.events_p\(today.compact) WHERE message_id LIKE 'm-1_'")
                == 10
        )
    }

    // MARK: - Partitions

    @Test func rowsLandInTheirDaysPartitionCreatedOnDemand() throws {
        let fixture = try LoaderFixture("partitions")
        let today = CalendarDay.today()
        let recent = today.adding(days: -3)
        let farFuture = today.adding(days: 30)
        let waiting = today.adding(days: -5)
        // A row already waiting in the default partition for `waiting`: that day's partition is left to the
        // partitions job, which moves the row.
        let early = Payload.rows(9000, 1, day: waiting)[0]
        _ = try fixture.database.copyEvents([early])

        let writer = try fixture.writer()
        _ = try writer.append(Payload.bytes(Payload.rows(0, 10, day: recent)))
        _ = try writer.append(Payload.bytes(Payload.rows(10, 10, day: today)))
        _ = try writer.append(Payload.bytes(Payload.rows(20, 10, day: farFuture) + Payload.rows(30, 5, day: waiting)))
        try writer.sync()
        #expect(try fixture.loader().loadAvailable().rows == 35)

        let placement = try fixture.database.query(
            """
            SELECT tableoid::regclass::text, to_char("timestamp", 'YYYY-MM-DD'), count(*)
            FROM analytics.events GROUP BY 1, 2 ORDER BY 2
            """
        )
        let rows = placement.rows.map { $0.compactMap { $0 } }
        #expect(
            rows == [
                ["analytics.events_default", "\(waiting)", "6"],
                ["analytics.events_p\(recent.compact)", "\(recent)", "10"],
                ["analytics.events_p\(today.compact)", "\(today)", "10"],
                ["analytics.events_default", "\(farFuture)", "10"],
            ]
        )
    }

    // MARK: - The loop

    @Test func runLoadsWhatIsWrittenAndDrainsOnStop() throws {
        let fixture = try LoaderFixture("run")
        let writer = try fixture.writer()
        let loader = fixture.loader()
        #expect(loader.health == .starting)
        let running = RunningLoader(loader)

        var end = try writer.append(Payload.bytes(Payload.rows(0, 100)))
        try writer.sync()
        loader.wake()
        try HangGuard.bounded("the loader to reach \(end)") { loader.waitUntilLoaded(end, timeout: $0) }
        #expect(loader.health == .healthy)
        #expect(try fixture.count() == 100)
        // The load counted as a busy stretch of the loop (utilization is published after the commit returns).
        try HangGuard.wait(for: "the loader to count its load as busy time") { loader.recentUtilization > 0 }
        #expect(loader.recentUtilization <= 1)

        // Written just before a stop with a drain deadline: loaded before run() returns.
        for batch in 1..<6 {
            end = try writer.append(Payload.bytes(Payload.rows(batch * 100, 100)))
        }
        try writer.sync()
        try running.stop(drain: true)
        #expect(loader.position == end)
        #expect(try fixture.count() == 600)
        #expect(try fixture.duplicates() == 0)
    }

    @Test func waitUntilLoadedWakesWhenThePositionIsCommittedAndOtherwiseTimesOut() throws {
        let fixture = try LoaderFixture("waittimeout")
        let loader = fixture.loader()
        #expect(loader.waitUntilLoaded(.start, timeout: .zero))
        #expect(!loader.waitUntilLoaded(SpoolPosition(segment: 0, offset: 1), timeout: .zero))

        // A waiter blocked on a position not written yet returns true once a load commits past it, long before
        // its timeout: it waits on the event, not on the clock.
        let writer = try fixture.writer()
        let end = try writer.append(Payload.bytes(Payload.rows(0, 10)))
        try writer.sync()
        let woken = DispatchSemaphore(value: 0)
        let result = Mutex<Bool?>(nil)
        Thread { [loader] in
            let reached = loader.waitUntilLoaded(end, timeout: HangGuard.limit)
            result.withLock { $0 = reached }
            woken.signal()
        }.start()
        #expect(try loader.loadAvailable().position == end)
        try HangGuard.bounded("the waiter to wake after the load") { _ in
            woken.wait(timeout: .now() + HangGuard.limitInSeconds) == .success
        }
        #expect(result.withLock { $0 } == true)
    }

    @Test func anUnreachableDatabaseIsReportedAndStopEndsTheRetryWait() throws {
        let fixture = try LoaderFixture("unreachable")
        let port = try LocalClusterPort.free()
        // An hour between attempts: run() can only return within the hang guard if stop() ends the wait.
        let loader = fixture.loader(
            connectionString: "host=127.0.0.1 port=\(port) user=postgres dbname=postgres connect_timeout=2",
            retryDelays: .seconds(3600) ... .seconds(3600)
        )
        #expect {
            try loader.committedPosition()
        } throws: { error in
            (error as? PostgresError)?.code == .connection
        }
        let running = RunningLoader(loader)
        try HangGuard.wait(for: "the loader to report the database unavailable") {
            if case .databaseUnavailable = loader.health { return true }
            return false
        }
        // Failing to connect is not loading: nothing for the jobs to yield to.
        #expect(loader.recentUtilization == 0)
        #expect(!loader.isSaturated)
        try running.stop()
    }

    @Test func anOutageStopsLoadingUntilTheDatabaseIsBack() throws {
        let fixture = try LoaderFixture("outage")
        let admin = try PostgresConnection(try TestDatabase.cluster().connectionString())
        let name = fixture.databaseName
        let writer = try fixture.writer()
        let log = LogRecorder()
        let loader = fixture.loader(log: log)
        let running = RunningLoader(loader)
        defer { try? running.stop() }

        let first = try writer.append(Payload.bytes(Payload.rows(0, 50)))
        try writer.sync()
        loader.wake()
        try HangGuard.bounded("the loader to reach \(first)") { loader.waitUntilLoaded(first, timeout: $0) }

        // The database goes away: no new connections, and the loader's session is killed.
        try admin.execute("ALTER DATABASE \(name) ALLOW_CONNECTIONS false")
        try admin.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            [name]
        )
        try HangGuard.wait(for: "the loader to report the database unavailable") {
            if case .databaseUnavailable = loader.health { return true }
            return false
        }
        // The spool takes the events meanwhile; the loader keeps trying (two more failed attempts, seen in its
        // log, at least one of them after the append) and loads nothing.
        let retries = "retrying"
        let failedBefore = log.count(containing: retries)
        let second = try writer.append(Payload.bytes(Payload.rows(50, 50)))
        try writer.sync()
        loader.wake()
        try HangGuard.wait(for: "two more failed attempts while the database refuses connections") {
            log.count(containing: retries) >= failedBefore + 2
        }
        #expect(!loader.waitUntilLoaded(second, timeout: .zero))
        #expect(loader.position == first)
        if case .databaseUnavailable = loader.health {} else { Issue.record("health is \(loader.health)") }

        try admin.execute("ALTER DATABASE \(name) ALLOW_CONNECTIONS true")
        try HangGuard.bounded("the loader to reach \(second)") { loader.waitUntilLoaded(second, timeout: $0) }
        try HangGuard.wait(for: "the loader to report healthy") { loader.health == .healthy }
        let check = try PostgresConnection(fixture.connectionString)
        #expect(
            try check.query("SELECT count(*), count(DISTINCT message_id) FROM analytics.events").rows == [
                ["100", "100"]
            ])
    }
}

/// `bytea`'s hex text form, as the text result of a `bytea` column shows it.
enum DeadLetterHex {
    static func literal(_ bytes: [UInt8]) -> String {
        "\\x" + bytes.map { String(format: "%02x", $0) }.joined()
    }
}
