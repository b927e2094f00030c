import SluiceCore
import SluiceRollupsJob
import SluiceSessionsJob
import SluiceStore
import Testing

/// A late event derives again the visits of its own person only: the loader bounds its marks by the rows'
/// least `received_at`, and the sessions job leaves every other person's visits as they were, row for row.
/// A mark without that bound (rows moved out of the default partition, a restored day) still derives every
/// person of its hours.
extension AggregationDatabaseTests {
    @Suite struct LatePersonsTests {
        /// Each visit's row version (`xmin`), by person and start: a row the job deleted and inserted again
        /// has a new one, even when its numbers are the same.
        static func versions(_ fixture: AggregationFixture) throws -> [String: String] {
            let result = try fixture.database.query(
                "SELECT person_id || ' ' || session_start::text, xmin::text FROM analytics.sessions")
            var versions: [String: String] = [:]
            for row in 0..<result.rowCount { versions[result.string(row, 0)!] = result.string(row, 1)! }
            return versions
        }

        static func persons(of keys: some Sequence<String>) -> Set<String> {
            Set(keys.map { String($0.split(separator: " ")[0]) })
        }

        @Test func aLateEventDerivesAgainOnlyItsPersonsVisits() throws {
            let fixture = try AggregationFixture("latepersons")
            let generated = Traffic.generated(projectID: 1, count: 6_000, days: 3, users: 300, seed: 5)
            try fixture.load(generated)
            try fixture.aggregate()
            let before = try Self.versions(fixture)

            // A person with a visit in an hour that many others share: a page 10 minutes after the visit's
            // end extends it, received now.
            let busiest = try fixture.database.query(
                """
                SELECT person_id, (extract(epoch FROM session_end) * 1000000)::bigint
                FROM analytics.sessions
                WHERE date_trunc('hour', session_end) = (
                    SELECT date_trunc('hour', session_end) FROM analytics.sessions
                    WHERE session_end < now() - interval '2 hours'
                    GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1)
                ORDER BY session_end DESC, person_id LIMIT 1
                """)
            let person = try #require(busiest.string(0, 0))
            let end = Int64(try #require(try busiest.int(0, 1)))
            var late = Traffic.event(.page, person, at: end + 10 * Traffic.minute, path: "/late", id: "late-person")
            late.receivedAt = .now()
            try fixture.load([late])
            let marks = try MarkTable.events.oldest(10, on: fixture.database)
            #expect(marks.count == 1 && marks.first?.receivedFrom == late.receivedAt, "\(marks)")

            let sessions = try fixture.run(SessionsJob())
            #expect(sessions.run.status == .succeeded, "\(sessions.run.error ?? "")")
            try fixture.run(RollupsJob())
            let after = try Self.versions(fixture)
            let rewritten = Set(before.keys).union(after.keys).filter { before[$0] != after[$0] }
            #expect(Self.persons(of: rewritten) == [person], "rewritten: \(rewritten.sorted().prefix(10))")

            // The hours the step looked at hold other persons' visits, all of them left alone.
            let window = (from: end + 10 * Traffic.minute - 90 * Traffic.minute, to: end + 80 * Traffic.minute)
            let others = try fixture.count(
                """
                SELECT count(*) FROM analytics.sessions
                WHERE person_id <> '\(person)' AND session_end >= to_timestamp(\(window.from) / 1e6)
                  AND session_start <= to_timestamp(\(window.to) / 1e6)
                """)
            #expect(others > 0, "the chosen hour has no other visits; the check proves nothing")

            // And every number is what the whole event set says.
            expectMatches(try StoredStats(fixture.database), ExpectedStats(generated + [late]))

            // A mark without a bound, as the partitions job writes: every person of the hour is derived again.
            let hour = UTCHour(late.timestamp)
            try MarkTable.events.insert([(projectID: Int64(1), hour: hour)], on: fixture.database)
            let again = try fixture.run(SessionsJob())
            #expect(again.run.status == .succeeded, "\(again.run.error ?? "")")
            let afterAll = try Self.versions(fixture)
            let rewrittenAll = Set(after.keys).union(afterAll.keys).filter { after[$0] != afterAll[$0] }
            #expect(Self.persons(of: rewrittenAll).count > 1, "an unbounded mark derived only \(rewrittenAll)")
            try fixture.run(RollupsJob())
            expectMatches(try StoredStats(fixture.database), ExpectedStats(generated + [late]))
        }

        @Test func aRowReceivedLongAgoButLoadedNowStillCounts() throws {
            // A spool replayed after a long outage: the rows' received_at is hours old when they load, and the
            // bound is theirs, so their persons are derived all the same.
            let fixture = try AggregationFixture("latereplay")
            let generated = Traffic.generated(projectID: 1, count: 3_000, days: 2, users: 200, seed: 9)
            try fixture.load(generated)
            try fixture.aggregate()
            let day = CalendarDay.today().adding(days: -1).start.unixMicroseconds
            var replayed = [
                Traffic.event(.page, "replayed", at: day + 9 * 60 * Traffic.minute, path: "/a", id: "replay-1"),
                Traffic.event(.page, "replayed", at: day + (9 * 60 + 20) * Traffic.minute, path: "/b", id: "replay-2"),
            ]
            for index in replayed.indices {
                replayed[index].receivedAt = Timestamp(unixMicroseconds: day + (11 + Int64(index)) * 60 * Traffic.minute)
            }
            try fixture.load(replayed)
            try fixture.aggregate()
            let stored = try StoredStats(fixture.database)
            #expect(stored.visits.filter { $0.person == "replayed" }.map(\.pageviews) == [2])
            expectMatches(stored, ExpectedStats(generated + replayed))
        }
    }
}
