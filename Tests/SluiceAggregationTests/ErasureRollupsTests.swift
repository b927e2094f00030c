import Foundation
import SluiceCore
import SluiceExperiments
import SluiceExperimentsStore
import SluicePostgres
import SluiceRetention
import SluiceRetentionJob
import SluiceStore
import Testing

/// `sluice forget` and `sluice archive restore` against the sessions and rollups: after either, every visit
/// and rollup row equals what the definitions give for the events that remain, counted here independently.
extension AggregationDatabaseTests {
    @Suite struct ErasureRollupsTests {
        static let hour: Int64 = 3_600_000_000

        /// One person under three ids: anonymous pages, an identify that links the anonymousId to the userId,
        /// more as the user, an alias from an older userId that had events of its own; on the day of `base`,
        /// among everybody else's events, and the same userId in project 2, who is somebody else.
        static func person(at base: Int64) -> [EventRow] {
            let minute = Traffic.minute
            var serial = 0
            func row(
                _ type: EventType, user: String?, anonymous: String?, previous: String? = nil, at time: Int64,
                project: Int64 = 1, name: String? = nil, path: String? = nil
            ) -> EventRow {
                serial += 1
                return EventRow(
                    projectID: project, messageID: "fm-\(serial)", type: type,
                    event: name ?? (type == .page ? "Page" : nil), userID: user, anonymousID: anonymous,
                    previousID: previous, timestamp: Timestamp(unixMicroseconds: time),
                    receivedAt: Timestamp(unixMicroseconds: time + 1_000), pagePath: path, referrerHost: "fm.example",
                    utmSource: "fm-campaign", country: "IS", browser: "Firefox", os: "Linux", deviceType: "desktop"
                )
            }
            return [
                // A visit that begins anonymous and goes on as the user: two persons, both the same human.
                row(.page, user: nil, anonymous: "fm-anon", at: base, path: "/fm-landing"),
                row(.page, user: nil, anonymous: "fm-anon", at: base + 4 * minute, path: "/pricing"),
                row(.identify, user: "fm-user", anonymous: "fm-anon", at: base + 5 * minute),
                row(.track, user: "fm-user", anonymous: "fm-anon", at: base + 9 * minute, name: "FM Signed Up"),
                row(.page, user: "fm-user", anonymous: "fm-anon", at: base + 70 * minute, path: "/account"),
                // The user was aliased from an older id, which had a visit the day before.
                row(.alias, user: "fm-user", anonymous: nil, previous: "fm-old", at: base + 71 * minute),
                row(.page, user: "fm-old", anonymous: nil, at: base - 26 * 60 * minute, path: "/"),
                row(.track, user: "fm-old", anonymous: nil, at: base - 26 * 60 * minute + minute, name: "Clicked"),
                // The same userId in another project: someone else, who stays.
                row(.page, user: "fm-user", anonymous: "x", at: base, project: 2, path: "/fm-landing"),
            ]
        }

        static let erasedIDs: Set<String> = ["fm-anon", "fm-user", "fm-old"]

        static func isErased(_ row: EventRow) -> Bool {
            row.projectID == 1
                && [row.userID, row.anonymousID, row.previousID].contains { $0.map(erasedIDs.contains) ?? false }
        }

        @Test func forgetLeavesTheRollupsEqualToARecountOfTheRemainingEvents() throws {
            let fixture = try AggregationFixture("forget-rollups")
            let base = CalendarDay.today().adding(days: -1).start.unixMicroseconds + 10 * Self.hour
            let rows =
                Traffic.generated(projectID: 1, count: 8_000, days: 3, users: 500, seed: 11)
                + Traffic.generated(projectID: 2, count: 1_500, days: 3, users: 100, seed: 12)
                + Self.person(at: base)
            try fixture.load(rows)
            try fixture.aggregate()
            expectMatches(try StoredStats(fixture.database), ExpectedStats(rows))

            // Experiment assignments of the person's ids and of somebody else, in a real experiment.
            let project = try ProjectStore.create(name: "forget", on: fixture.database).project.id
            try #require(project == 1, "the first project of a fresh database")
            _ = try ExperimentStore.save(
                try ExperimentDefinition(jsonText: #"{"key":"fm-test","variations":["a","b"]}"#), projectID: 1,
                force: false, on: fixture.database
            )
            for person in ["fm-user", "fm-anon", "someone-else"] {
                try fixture.database.query(
                    """
                    INSERT INTO experiments.assignments (project_id, experiment_key, version, person_id, variant,
                                                         first_seen)
                    VALUES (1, 'fm-test', 1, $1, 1, now())
                    """,
                    [person]
                )
            }

            let before = try StoredStats(fixture.database)
            let erased = rows.filter(Self.isErased)
            let remaining = rows.filter { !Self.isErased($0) }
            let erasedHours = Set(erased.map { ExpectedStats.floor($0.timestamp.unixMicroseconds, Self.hour) })
            let report = try PersonEraser().erase("fm-anon", project: 1, on: fixture.database)

            #expect(report.ids == ["fm-anon", "fm-old", "fm-user"], "the given id first, then the linked ones")
            #expect(report.events == erased.count && erased.count == 8)
            let erasedVisits = ExpectedStats(rows).visits.filter { $0.projectID == 1 && Self.erasedIDs.contains($0.person) }
            #expect(report.sessions == erasedVisits.count && erasedVisits.count == 4, "fm-anon 1, fm-user 2, fm-old 1")
            #expect(report.assignments == 2)
            #expect(report.bucketsRecomputed == erasedHours.count, "every hour of their events, nothing more")
            #expect(report.rollupsPending == nil)
            #expect(try MarkTable.rollups.count(on: fixture.database) == 0, "the marks were answered at once")

            // Every visit and rollup row is what the remaining events give, at once, without running a job.
            let after = try StoredStats(fixture.database)
            let expected = ExpectedStats(remaining)
            #expect(expectMatches(after, expected) > 5_000)
            // The visits of everybody else are the very rows they were (not derived again).
            #expect(
                Set(before.visits.filter { !($0.projectID == 1 && Self.erasedIDs.contains($0.person)) })
                    == Set(after.visits))
            // Only the buckets that counted the person were rewritten; the others keep their update marker.
            for (key, row) in before.hourly where !(key.projectID == 1 && erasedHours.contains(key.bucket)) {
                #expect(after.hourly[key]?.updatedAt == row.updatedAt, "\(key) was rewritten")
            }
            #expect(
                before.hourly.contains { key, row in
                    key.projectID == 1 && erasedHours.contains(key.bucket) && after.hourly[key]?.updatedAt != row.updatedAt
                })
            // Project 2's fm-user, and the other person's assignment, stay.
            #expect(
                try fixture.count(
                    "SELECT count(*) FROM analytics.events WHERE project_id = 2 AND user_id = 'fm-user'") == 1)
            #expect(
                try fixture.database.query("SELECT person_id FROM experiments.assignments").rows == [["someone-else"]])
            #expect(
                try fixture.count(
                    """
                    SELECT count(*) FROM analytics.events
                    WHERE project_id = 1 AND (user_id LIKE 'fm-%' OR anonymous_id LIKE 'fm-%' OR previous_id LIKE 'fm-%')
                    """) == 0)
        }

        @Test func anErasureWhoseRecomputationFailsLeavesTheMarksForTheRollupsJob() throws {
            let fixture = try AggregationFixture("forget-pending")
            let base = CalendarDay.today().adding(days: -1).start.unixMicroseconds + 10 * Self.hour
            let rows = Traffic.generated(projectID: 1, count: 2_000, days: 2, users: 150, seed: 31) + Self.person(at: base)
            try fixture.load(rows)
            try fixture.aggregate()
            // Another session holds the daily rollups; the erasure's own statements never touch them, its
            // recomputation does, and gives up at its statement timeout.
            let holder = try PostgresConnection(fixture.connectionString)
            try holder.execute("BEGIN; LOCK TABLE analytics.rollup_daily IN ACCESS EXCLUSIVE MODE")
            try fixture.database.execute("SET statement_timeout = '300ms'")  // allow-timing: the injected failure
            let report = try PersonEraser().erase("fm-user", project: 1, on: fixture.database)
            try fixture.database.execute("SET statement_timeout = 0")
            try holder.execute("ROLLBACK")

            #expect(report.rollupsPending?.code == .rollupsPending, "\(String(describing: report.rollupsPending))")
            #expect(report.bucketsRecomputed == 0 && report.events == 8, "the erasure itself committed")
            #expect(try fixture.count("SELECT count(*) FROM sluice.erasures") == 3)
            #expect(
                try fixture.count("SELECT count(DISTINCT (project_id, hour)) FROM sluice.rollup_marks") == 3,
                "the three hours wait for the job")
            try fixture.aggregate()
            expectMatches(try StoredStats(fixture.database), ExpectedStats(rows.filter { !Self.isErased($0) }))
        }

        @Test func aRestoredDayIsAggregatedAgainWithoutTheErasedPerson() throws {
            let fixture = try AggregationFixture("restore-rollups")
            let today = CalendarDay.today()
            let restoredDay = today.adding(days: -4)
            // The person's first visit on the day that goes to the archive, their later ones after it.
            let base = restoredDay.start.unixMicroseconds + 26 * Self.hour + 10 * Traffic.minute
            // And a visit from the restored day's last minutes on past midnight, into a day that stays: its
            // first day's visits are purged with the partition, its later events are not.
            let midnight = restoredDay.adding(days: 1).start.unixMicroseconds
            let across = [-10, 10, 35, 60].enumerated().map { index, minutes in
                Traffic.event(
                    index == 1 ? .track : .page, "fx-across", at: midnight + Int64(minutes) * Traffic.minute,
                    name: index == 1 ? "Crossed" : nil, path: "/x\(index)", id: "fx-\(index)")
            }
            let rows =
                Traffic.generated(projectID: 1, count: 8_000, days: 5, users: 500, seed: 21)
                + Self.person(at: base) + across
            try fixture.load(rows)
            try fixture.aggregate()
            let stored = try StoredStats(fixture.database)
            let dayKey = Int64(restoredDay.unixDay)
            let dayBefore = try #require(stored.daily[BucketKey(projectID: 1, dimension: "", bucket: dayKey, value: "")])

            // Retention keeps 3 days of events: the restored day's partition goes to the archive, its visits are
            // purged with it, and its rollups stay (their own horizon).
            let root = NSTemporaryDirectory() + "sluice-restore-rollups-\(UUID().uuidString)"
            defer { try? FileManager.default.removeItem(atPath: root) }
            let archive = ArchiveDirectory(path: root)
            let retention = try PartitionArchiver(policy: RetentionPolicy(days: 3), directory: archive)
                .run(fixture.database, today: today)
            #expect(retention.dropped.contains(restoredDay))
            #expect(retention.sessionsPurged > 100 && retention.rollupRowsPurged == 0)
            #expect(
                try fixture.count(
                    "SELECT count(*) FROM analytics.sessions WHERE session_start < '\(today.adding(days: -3))'") == 0)
            #expect(try StoredStats(fixture.database).daily[BucketKey(projectID: 1, dimension: "", bucket: dayKey, value: "")] != nil)

            // The person is forgotten while their first day is in the archive only.
            let report = try PersonEraser().erase("fm-user", project: 1, on: fixture.database)
            #expect(Set(report.ids) == Self.erasedIDs)

            let restored = try ArchiveRestorer(directory: archive).restore(restoredDay.description, on: fixture.database)
            let personOnDay = rows.filter { Self.isErased($0) && CalendarDay($0.timestamp) == restoredDay }
            #expect(restored.erasedRows == personOnDay.count && personOnDay.count == 2)
            let hoursWithEvents = Set(
                rows.filter { CalendarDay($0.timestamp) == restoredDay && !Self.isErased($0) }
                    .map { ExpectedStats.floor($0.timestamp.unixMicroseconds, Self.hour) })
            #expect(restored.visitsDerived > 100 && restored.bucketsRecomputed >= hoursWithEvents.count)

            // The database's events now: the restored day and the days after it, the person left out.
            let present = rows.filter { CalendarDay($0.timestamp) >= restoredDay && !Self.isErased($0) }
            #expect(try fixture.count("SELECT count(*) FROM analytics.events") == present.count)
            let expected = ExpectedStats(present)
            let after = try StoredStats(fixture.database)
            let hours = dayKey * 24..<(dayKey + 1) * 24
            #expect(
                expectMatches(
                    after.only(hours: hours, day: dayKey), ExpectedStats(expected, hours: hours, day: dayKey)) > 200)
            let dayAfter = try #require(after.daily[BucketKey(projectID: 1, dimension: "", bucket: dayKey, value: "")])
            #expect(
                dayAfter.events == dayBefore.events - personOnDay.filter { $0.type == .page || $0.type == .track }.count,
                "the person's page and track events of the day are no longer counted")
            #expect(try MarkTable.rollups.count(on: fixture.database) == 0)
            #expect(try MarkTable.events.count(on: fixture.database) == 0)
            let crossed = after.visits.filter { $0.person == "fx-across" }
            #expect(crossed.map(\.events) == [4], "one visit, derived whole across midnight: \(crossed)")
        }
    }
}

extension ExpectedStats {
    /// `whole`'s rows of `hours` (Unix hours) and `day` (a Unix day), and its visits started in those hours.
    init(_ whole: ExpectedStats, hours: Range<Int64>, day: Int64) {
        visits = whole.visits.filter { hours.contains(Self.floor($0.start, Self.hour)) }
        hourly = whole.hourly.filter { hours.contains($0.key.bucket) }
        daily = whole.daily.filter { $0.key.bucket == day }
    }
}

extension StoredStats {
    /// The rows of `hours` (Unix hours) and `day` (a Unix day), and the visits started in those hours.
    func only(hours: Range<Int64>, day: Int64) -> StoredStats {
        var slice = self
        slice.visits = visits.filter { hours.contains(ExpectedStats.floor($0.start, ExpectedStats.hour)) }
        slice.hourly = hourly.filter { hours.contains($0.key.bucket) }
        slice.daily = daily.filter { $0.key.bucket == day }
        return slice
    }
}
