import Foundation
import SluiceCore
import SluicePostgres
import Testing

/// A rollup row as stored: the sketch's estimate of visitors, the rest exact, and the row's update marker.
struct StoredMeasures: Equatable {
    var visitors: Double
    var pageviews: Int
    var events: Int
    var visits: Int
    var bounces: Int
    var duration: Int64
    var visitPageviews: Int
    var updatedAt: String
}

/// The rollup tables and sessions as they are in the database.
struct StoredStats {
    var hourly: [BucketKey: StoredMeasures] = [:]
    var daily: [BucketKey: StoredMeasures] = [:]
    var visits: [Visit] = []

    init(_ database: PostgresConnection) throws {
        let measures = """
            hll_cardinality(visitors), pageviews, events, visits, bounces, duration_us, visit_pageviews, updated_at::text
            """
        let tables: [(String, String, String)] = [
            ("analytics.rollup_hourly", "''", "floor(extract(epoch FROM bucket) / 3600)::bigint"),
            ("analytics.rollup_hourly_dims", "dimension", "floor(extract(epoch FROM bucket) / 3600)::bigint"),
            ("analytics.rollup_daily", "''", "(day - date '1970-01-01')::bigint"),
            ("analytics.rollup_daily_dims", "dimension", "(day - date '1970-01-01')::bigint"),
        ]
        for (table, dimension, bucket) in tables {
            let value = dimension == "''" ? "''" : "value"
            let result = try database.query(
                "SELECT project_id, \(dimension), \(bucket), \(value), \(measures) FROM \(table)"
            )
            for row in 0..<result.rowCount {
                let key = BucketKey(
                    projectID: Int64(try result.int(row, 0)!), dimension: result.string(row, 1)!,
                    bucket: Int64(try result.int(row, 2)!), value: result.string(row, 3)!
                )
                let stored = StoredMeasures(
                    visitors: Double(result.string(row, 4)!)!, pageviews: try result.int(row, 5)!,
                    events: try result.int(row, 6)!, visits: try result.int(row, 7)!, bounces: try result.int(row, 8)!,
                    duration: Int64(try result.int(row, 9)!), visitPageviews: try result.int(row, 10)!,
                    updatedAt: result.string(row, 11)!
                )
                if table.contains("hourly") { hourly[key] = stored } else { daily[key] = stored }
            }
        }
        let sessions = try database.query(
            """
            SELECT project_id, person_id, (extract(epoch FROM session_start) * 1000000)::bigint,
                   (extract(epoch FROM session_end) * 1000000)::bigint, duration_us, pageviews, events, is_bounce,
                   entry_page, exit_page, referrer_host, utm_source, utm_medium, utm_campaign, country, browser, os,
                   device_type, array_to_json(pages)::text, array_to_json(event_names)::text
            FROM analytics.sessions
            """
        )
        for row in 0..<sessions.rowCount {
            var visit = Visit(
                projectID: Int64(try sessions.int(row, 0)!), person: sessions.string(row, 1)!,
                start: Int64(try sessions.int(row, 2)!), end: Int64(try sessions.int(row, 3)!)
            )
            #expect(Int64(try sessions.int(row, 4)!) == visit.duration)
            visit.pageviews = try sessions.int(row, 5)!
            visit.events = try sessions.int(row, 6)!
            #expect((sessions.string(row, 7) == "t") == visit.isBounce)
            visit.entryPage = sessions.string(row, 8)
            visit.exitPage = sessions.string(row, 9)
            visit.referrer = sessions.string(row, 10)
            visit.utmSource = sessions.string(row, 11)
            visit.utmMedium = sessions.string(row, 12)
            visit.utmCampaign = sessions.string(row, 13)
            visit.country = sessions.string(row, 14)
            visit.browser = sessions.string(row, 15)
            visit.os = sessions.string(row, 16)
            visit.device = sessions.string(row, 17)
            visit.pages = Set(try JSONDecoder().decode([String].self, from: Data(sessions.string(row, 18)!.utf8)))
            visit.eventNames = Set(try JSONDecoder().decode([String].self, from: Data(sessions.string(row, 19)!.utf8)))
            visits.append(visit)
        }
    }
}

/// Whether a sketch's estimate is within the error Sluice promises (2%) of the exact count.
func withinSketchError(_ estimate: Double, _ exact: Int) -> Bool {
    abs(estimate - Double(exact)) <= 0.02 * Double(exact)
}

/// Expects every stored visit and rollup row to be the expected one, and no other; returns the number of
/// rows compared.
@discardableResult
func expectMatches(
    _ stored: StoredStats, _ expected: ExpectedStats, sourceLocation: SourceLocation = #_sourceLocation
) -> Int {
    let storedVisits = Set(stored.visits)
    let expectedVisits = Set(expected.visits)
    #expect(stored.visits.count == storedVisits.count, "a visit is stored twice", sourceLocation: sourceLocation)
    let missing = expectedVisits.subtracting(storedVisits)
    let extra = storedVisits.subtracting(expectedVisits)
    #expect(
        missing.isEmpty && extra.isEmpty,
        "visits: \(missing.count) missing (e.g. \(missing.first.map(String.init(describing:)) ?? "-")), \(extra.count) unexpected (e.g. \(extra.first.map(String.init(describing:)) ?? "-"))",
        sourceLocation: sourceLocation
    )
    var compared = 0
    for (name, storedRows, expectedRows) in [
        ("hourly", stored.hourly, expected.hourly), ("daily", stored.daily, expected.daily),
    ] {
        for key in Set(storedRows.keys).union(expectedRows.keys) {
            compared += 1
            guard let row = storedRows[key], let want = expectedRows[key] else {
                Issue.record(
                    "\(name) row \(key): stored \(storedRows[key] != nil), expected \(expectedRows[key] != nil)",
                    sourceLocation: sourceLocation)
                continue
            }
            let exact =
                row.pageviews == want.pageviews && row.events == want.events && row.visits == want.visits
                && row.bounces == want.bounces && row.duration == want.duration
                && row.visitPageviews == want.visitPageviews
            #expect(exact, "\(name) row \(key): stored \(row), expected \(want)", sourceLocation: sourceLocation)
            #expect(
                withinSketchError(row.visitors, want.visitors.count),
                "\(name) row \(key): \(row.visitors) visitors estimated, \(want.visitors.count) exact",
                sourceLocation: sourceLocation)
        }
    }
    return compared
}
