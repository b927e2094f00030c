import SluiceCore
import SluiceStore
import Testing

/// Events that arrive after their hours were rolled up: loaded through the real loader, they re-aggregate
/// only their own buckets, as the rows' own update markers show.
extension AggregationDatabaseTests {
    @Suite struct LateDataTests {
        static let minute = Traffic.minute

        /// Two visits of one person 35 minutes apart at 09:40–09:50 and 10:25–10:35, and a visit at 14:00–14:20
        /// of another, on days back from today.
        static func base() -> [EventRow] {
            let merge = CalendarDay.today().adding(days: -4).start.unixMicroseconds
            let inside = CalendarDay.today().adding(days: -2).start.unixMicroseconds
            return [
                Traffic.event(.page, "late-merge", at: merge + (9 * 60 + 40) * minute, path: "/a", id: "late-1"),
                Traffic.event(.page, "late-merge", at: merge + (9 * 60 + 50) * minute, path: "/b", id: "late-2"),
                Traffic.event(.page, "late-merge", at: merge + (10 * 60 + 25) * minute, path: "/c", id: "late-3"),
                Traffic.event(.page, "late-merge", at: merge + (10 * 60 + 35) * minute, path: "/d", id: "late-4"),
                Traffic.event(.page, "late-inside", at: inside + 14 * 60 * minute, path: "/a", id: "late-5"),
                Traffic.event(.page, "late-inside", at: inside + (14 * 60 + 20) * minute, path: "/b", id: "late-6"),
            ]
        }

        /// A page at 10:05 that joins the two visits into one; a track at 14:10 inside the other visit, which
        /// splits and merges nothing; a new person's pageview in the small hours of a fifth day back.
        static func late() -> [EventRow] {
            let merge = CalendarDay.today().adding(days: -4).start.unixMicroseconds
            let inside = CalendarDay.today().adding(days: -2).start.unixMicroseconds
            let lone = CalendarDay.today().adding(days: -5).start.unixMicroseconds
            return [
                Traffic.event(.page, "late-merge", at: merge + (10 * 60 + 5) * minute, path: "/bridge", id: "late-7"),
                Traffic.event(
                    .track, "late-inside", at: inside + (14 * 60 + 10) * minute, name: "Clicked", id: "late-8"),
                Traffic.event(.page, "late-lone", at: lone + (3 * 60 + 7) * minute, path: "/a", id: "late-9"),
            ]
        }

        @Test func lateEventsRecomputeOnlyTheBucketsTheyTouch() throws {
            let fixture = try AggregationFixture("late")
            let generated = Traffic.generated(projectID: 1, count: 12_000, days: 6, users: 800, seed: 11)
            let first = generated + Self.base()
            try fixture.load(first)
            try fixture.aggregate()
            let before = try StoredStats(fixture.database)
            let expectedBefore = ExpectedStats(first)
            expectMatches(before, expectedBefore)
            #expect(before.visits.filter { $0.person == "late-merge" }.count == 2)

            try fixture.load(Self.late())
            #expect(try MarkTable.events.count(on: fixture.database) == 3)
            try fixture.aggregate()
            let after = try StoredStats(fixture.database)
            let all = first + Self.late()
            let expectedAfter = ExpectedStats(all)
            expectMatches(after, expectedAfter)

            // The merge and the event that splits nothing, as stored.
            let merged = after.visits.filter { $0.person == "late-merge" }
            #expect(merged.map(\.pageviews) == [5])
            #expect(merged.first?.duration == 55 * Self.minute)
            let inside = after.visits.filter { $0.person == "late-inside" }
            #expect(inside.map(\.events) == [3])
            #expect(inside.first?.start == before.visits.first { $0.person == "late-inside" }?.start)

            // Which rows were rewritten: a row with a new update marker, a new row, or a row gone.
            func rewritten(_ old: [BucketKey: StoredMeasures], _ new: [BucketKey: StoredMeasures]) -> Set<BucketKey> {
                Set(old.keys).union(new.keys).filter { old[$0]?.updatedAt != new[$0]?.updatedAt }
            }
            let hourlyRewritten = rewritten(before.hourly, after.hourly)
            let dailyRewritten = rewritten(before.daily, after.daily)

            // Every row whose numbers changed was rewritten…
            for key in Set(expectedBefore.hourly.keys).union(expectedAfter.hourly.keys)
            where expectedBefore.hourly[key] != expectedAfter.hourly[key] {
                #expect(hourlyRewritten.contains(key), "hourly \(key) changed but was not rewritten")
            }
            for key in Set(expectedBefore.daily.keys).union(expectedAfter.daily.keys)
            where expectedBefore.daily[key] != expectedAfter.daily[key] {
                #expect(dailyRewritten.contains(key), "daily \(key) changed but was not rewritten")
            }
            // …and nothing else but the late events' own hours and the start hours of the visits within 30 minutes
            // of them (whose rows the sessions job derives again), and those hours' days.
            let hour = ExpectedStats.hour
            let lateHours = Set(Self.late().map { ExpectedStats.floor($0.timestamp.unixMicroseconds, hour) })
            var allowedHours = lateHours
            for visit in expectedBefore.visits + expectedAfter.visits {
                for late in lateHours
                where visit.end >= late * hour - ExpectedStats.gap
                    && visit.start <= (late + 1) * hour + ExpectedStats.gap
                {
                    allowedHours.insert(ExpectedStats.floor(visit.start, hour))
                }
            }
            let allowedDays = Set(allowedHours.map { ExpectedStats.floor($0, 24) })
            let strayHours = hourlyRewritten.filter { !allowedHours.contains($0.bucket) }
            #expect(
                strayHours.isEmpty, "hourly rows rewritten outside the late events' buckets: \(strayHours.prefix(5))")
            let strayDays = dailyRewritten.filter { !allowedDays.contains($0.bucket) }
            #expect(strayDays.isEmpty, "daily rows rewritten outside the late events' days: \(strayDays.prefix(5))")
            #expect(Set(dailyRewritten.map(\.bucket)) == Set(lateHours.map { ExpectedStats.floor($0, 24) }))
            // Out of six days and thousands of rows, a handful were rewritten.
            #expect(hourlyRewritten.count * 10 < before.hourly.count)
        }
    }
}
