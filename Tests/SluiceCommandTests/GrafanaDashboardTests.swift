import Foundation
import SluicePostgres
import SluiceTestSupport
import Testing

/// `docs/grafana/sluice.json` is importable as it is and every query in it runs: each panel's and variable's SQL,
/// with the macros expanded the way Grafana's PostgreSQL data source expands them, against a migrated database
/// whose rollups the real sessions and rollups jobs built.
@Suite struct GrafanaDashboardTests {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/grafana/sluice.json").path

    static func dashboard() throws -> [String: Any] {
        let data = try #require(FileManager.default.contents(atPath: path), "\(path) is missing")
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// A query and where it is in the dashboard.
    struct Query {
        var owner: String
        var sql: String
    }

    static func queries(in dashboard: [String: Any]) -> [Query] {
        var queries: [Query] = []
        for panel in dashboard["panels"] as? [[String: Any]] ?? [] {
            for target in panel["targets"] as? [[String: Any]] ?? [] {
                if let sql = target["rawSql"] as? String {
                    queries.append(Query(owner: "panel \(panel["title"] ?? "?")", sql: sql))
                }
            }
        }
        let variables = (dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
        for variable in variables where variable["type"] as? String == "query" {
            let sql = variable["query"] as? String ?? (variable["query"] as? [String: Any])?["rawSql"] as? String
            if let sql { queries.append(Query(owner: "variable \(variable["name"] ?? "?")", sql: sql)) }
        }
        return queries
    }

    /// Grafana's expansion (its PostgreSQL data source's macro engine, and the front end's `$__interval` and
    /// template variables before it): `$__timeFilter(c)` → `c BETWEEN 'FROM' AND 'TO'` (RFC 3339, UTC),
    /// `$__timeFrom()`/`$__timeTo()` → the quoted instants,
    /// `$__timeGroup(c, I)` → `floor(extract(epoch from c)/S)*S`
    /// with S the interval in seconds, `$__timeGroupAlias` the same `AS "time"`, `$__time(c)` → `c AS "time"`.
    static func expand(_ sql: String, from: String, to: String, interval: String, project: Int64) throws -> String {
        var text = sql.replacingOccurrences(of: "${project}", with: String(project))
            .replacingOccurrences(of: "$project", with: String(project))
            .replacingOccurrences(of: "$__interval_ms", with: String(try seconds(interval) * 1000))
            .replacingOccurrences(of: "$__interval", with: interval)
        let macro = try NSRegularExpression(pattern: #"\$__(\w+)\(([^)]*)\)"#)
        while let match = macro.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) {
            let name = String(text[Range(match.range(at: 1), in: text)!])
            let arguments = text[Range(match.range(at: 2), in: text)!].split(separator: ",")
                .map { $0.trimmingCharacters(in: .whitespaces) }
            let expansion: String
            switch name {
            case "timeFilter":
                expansion = "\(arguments[0]) BETWEEN '\(from)' AND '\(to)'"
            case "timeFrom":
                expansion = "'\(from)'"
            case "timeTo":
                expansion = "'\(to)'"
            case "time":
                expansion = "\(arguments[0]) AS \"time\""
            case "timeGroup", "timeGroupAlias":
                let step = try seconds(arguments[1].trimmingCharacters(in: CharacterSet(charactersIn: "'")))
                expansion =
                    "floor(extract(epoch from \(arguments[0]))/\(step))*\(step)"
                    + (name == "timeGroupAlias" ? " AS \"time\"" : "")
            default:
                throw ExpansionError(description: "the dashboard uses $__\(name), which this test does not expand")
            }
            text.replaceSubrange(Range(match.range, in: text)!, with: expansion)
        }
        try #require(!text.contains("$"), "a variable is left in: \(text)")
        return text
    }

    struct ExpansionError: Error, CustomStringConvertible {
        let description: String
    }

    static func seconds(_ interval: String) throws -> Int {
        let units = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        let unit = try #require(units[String(interval.suffix(1))], "interval \(interval)")
        return try #require(Int(interval.dropLast()), "interval \(interval)") * unit
    }

    @Test func theDashboardIsImportable() throws {
        let dashboard = try Self.dashboard()
        #expect((dashboard["schemaVersion"] as? Int ?? 0) >= 36, "Grafana 10/11 dashboards")
        let variables = (dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
        let source = try #require(variables.first { $0["name"] as? String == "datasource" })
        #expect(source["type"] as? String == "datasource")
        #expect(["grafana-postgresql-datasource", "postgres"].contains(source["query"] as? String ?? ""))
        #expect(variables.contains { $0["name"] as? String == "project" && $0["type"] as? String == "query" })
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        for panel in panels {
            let datasource = panel["datasource"] as? [String: Any]
            #expect(datasource?["uid"] as? String == "${datasource}", "\(panel["title"] ?? "")")
        }
        let titles = panels.compactMap { $0["title"] as? String }
        for title in ["Visitors", "Visits", "Pageviews", "Bounce rate", "Visit duration", "Top pages", "Top referrers"]
        {
            #expect(titles.contains(title))
        }
        let sql = Self.queries(in: dashboard).map(\.sql).joined(separator: "\n")
        for used in ["$__timeFilter(", "$__timeGroupAlias(", "hll_cardinality(hll_union_agg(visitors))"] {
            #expect(sql.contains(used))
        }
    }

    @Test func everyQueryRunsAgainstRolledUpData() async throws {
        let url = try TestDatabase.fresh("grafana")
        let connection = try PostgresConnection(url)
        _ = try await SluiceProcess.run(["migrate", "--database-url", url])
        _ = try await SluiceProcess.run(["jobs", "run", "partitions", "--database-url", url])
        let project = try #require(
            try connection.query(
                """
                INSERT INTO sluice.projects (name, write_key, read_key_hash)
                VALUES ('grafana', 'wk_grafana', sha256(convert_to('rk_grafana', 'UTF8'))) RETURNING id
                """
            ).int(0, 0)
        )
        // Two days of page views and a few track events of 40 people, over the last 48 hours.
        try connection.query(
            """
            INSERT INTO analytics.events (project_id, message_id, type, event, anonymous_id, "timestamp", received_at,
                page_path, referrer_host, utm_campaign, country, browser, os, device_type)
            SELECT $1::bigint, 'm' || n, CASE WHEN n % 5 = 0 THEN 'track' ELSE 'page' END,
                CASE WHEN n % 5 = 0 THEN 'Signed Up' END, 'person-' || (n % 40),
                now() - make_interval(mins => n * 7), now(), '/page-' || (n % 6),
                CASE WHEN n % 3 = 0 THEN 'google.com' END, CASE WHEN n % 4 = 0 THEN 'launch' END,
                (ARRAY['US', 'DE', 'FR'])[1 + n % 3], 'Firefox', 'Linux', 'desktop'
            FROM generate_series(1, 400) AS n
            """,
            [String(project)]
        )
        try connection.query(
            """
            INSERT INTO sluice.event_marks (project_id, hour)
            SELECT DISTINCT project_id, date_trunc('hour', "timestamp") FROM analytics.events
            """
        )
        _ = try await SluiceProcess.run(["jobs", "run", "sessions", "--database-url", url])
        _ = try await SluiceProcess.run(["jobs", "run", "rollups", "--database-url", url])
        let rollups = try connection.query("SELECT count(*) FROM analytics.rollup_hourly").int(0, 0) ?? 0
        try #require(rollups > 0, "the rollups job built nothing")

        let formatter = ISO8601DateFormatter()
        let from = formatter.string(from: Date().addingTimeInterval(-3 * 86_400))
        let to = formatter.string(from: Date())
        let queries = Self.queries(in: try Self.dashboard())
        #expect(queries.count >= 11)
        for query in queries {
            for interval in ["1h", "1d"] {
                let sql = try Self.expand(query.sql, from: from, to: to, interval: interval, project: Int64(project))
                let result: PostgresResult
                do {
                    result = try connection.query(sql)
                } catch {
                    Issue.record("\(query.owner) failed: \(error)\n\(sql)")
                    continue
                }
                #expect(result.rowCount > 0, "\(query.owner) found no rows:\n\(sql)")
                if query.owner.hasPrefix("panel"), result.rowCount > 0 {
                    #expect(result.string(0, result.columnCount - 1) != nil, "\(query.owner) has a NULL value")
                }
            }
        }
    }
}

/// The built `sluice` run to its end, failing the test on a non-zero exit.
enum SluiceProcess {
    @discardableResult
    static func run(_ arguments: [String]) async throws -> SluiceBinary.Run {
        let run = try await SluiceBinary.run(arguments)
        try #require(run.status == 0, "sluice \(arguments.joined(separator: " ")) exited \(run.status): \(run.output)")
        return run
    }
}
