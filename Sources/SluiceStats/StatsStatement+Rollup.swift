import SluiceCore
import SluiceRollups

extension StatsStatement {
    /// A query answered from the rollups: `rollup_daily`/`rollup_hourly` with no dimension, else the
    /// dimension's rows of `rollup_daily_dims`/`rollup_hourly_dims` whose value meets every filter (all of
    /// which are on that dimension; ``StatsPlan`` sees to it). Hourly tables for an hourly timeseries only.
    ///
    /// Visitors are the cardinality of the union of the rows' sketches, rounded half away from zero (numeric
    /// `round`); the other measures are sums. Where every answer row reads one rollup row (a timeseries,
    /// unfiltered or pinned to one value), that is the count of the row's own sketch, the same number without
    /// a union's state: `visitor_count` of `rollup_daily`/`rollup_hourly`, where the database keeps it; such a
    /// statement reads the rows' own columns without grouping them (summing bigints makes numerics). A
    /// breakdown unions the sketches of a few values only (see ``breakdown(_:limit:)``).
    ///
    /// A breakdown or an aggregate of a dimension over more than a day reads the range as its aligned blocks
    /// of days (`rollup_span_dims`, ``RollupSpan/cover(from:to:)``) and the days between them: at most eight
    /// rows per value for 30 days instead of 30, each with a sketch to union.
    static func rollup(_ query: StatsQuery, projectID: Int64, dimension: StatsProperty?) -> StatsStatement {
        var parameters = StatementParameters()
        let project = parameters.bind(String(projectID), as: "bigint")
        let hourly = query.endpoint == .timeseries && query.interval == .hour
        let table = "analytics.rollup_\(hourly ? "hourly" : "daily")\(dimension == nil ? "" : "_dims")"
        var conditions = ["project_id = \(project)"]
        var rows: RollupRows
        if let dimension {
            conditions.append("dimension = \(parameters.bind(dimension.name, as: "text"))")
            for filter in query.filters {
                conditions.append(filter.condition("value", &parameters))
            }
        }
        if hourly {
            let start = parameters.bind(StatementParameters.instant(query.range.start), as: "timestamptz")
            let end = parameters.bind(StatementParameters.instant(query.range.end), as: "timestamptz")
            rows = RollupRows(table: table, conditions: conditions + ["bucket >= \(start) AND bucket < \(end)"])
        } else if dimension != nil, query.endpoint != .timeseries, query.range.days > 1 {
            rows = RollupRows(pieces: RollupSpan.cover(from: query.range.from, to: query.range.to), of: conditions,
                              &parameters)
        } else {
            let from = parameters.bind(query.range.from.description, as: "date")
            let to = parameters.bind(query.range.to.description, as: "date")
            rows = RollupRows(table: table, conditions: conditions + ["day BETWEEN \(from) AND \(to)"])
        }

        if query.endpoint == .breakdown, query.limit <= cutLimit {
            let limit = parameters.bind(String(query.limit), as: "bigint")
            return StatsStatement(
                sql: ordered(breakdown(rows, limit: limit), limit: limit),
                parameters: parameters.values
            )
        }
        let key: String
        switch query.endpoint {
        case .timeseries:
            key = hourly ? "(extract(epoch FROM bucket)::bigint / 3600)::text" : "(day - DATE '1970-01-01')::text"
        case .breakdown: key = "value"
        case .aggregate, .realtimeVisitors: key = "''"
        }
        if Self.readsOneRowPerKey(query, dimension: dimension) {
            // One row per bucket (the tables' keys): its own columns, no grouping, no numeric sums.
            let visitors = dimension == nil ? "visitor_count" : "round(hll_cardinality(visitors)::numeric)::bigint"
            let sql = """
                SELECT \(key) AS key, \(visitors), pageviews, events, visits, bounces, duration_us, visit_pageviews
                FROM \(rows.source())
                """
            return StatsStatement(sql: sql, parameters: parameters.values)
        }
        let sql = """
            SELECT \(key) AS key,
                coalesce(\(unionCount), 0)::bigint,
                coalesce(sum(pageviews), 0)::bigint, coalesce(sum(events), 0)::bigint,
                coalesce(sum(visits), 0)::bigint, coalesce(sum(bounces), 0)::bigint,
                coalesce(sum(duration_us), 0)::bigint, coalesce(sum(visit_pageviews), 0)::bigint
            FROM \(rows.source())
            GROUP BY 1
            """
        if query.endpoint == .breakdown {
            return StatsStatement(
                sql: ordered(sql, limit: parameters.bind(String(query.limit), as: "bigint")),
                parameters: parameters.values
            )
        }
        return StatsStatement(sql: sql, parameters: parameters.values)
    }

    /// The visitors of a group of rollup rows: the cardinality of their sketches' union, rounded half away
    /// from zero.
    static let unionCount = "round(hll_cardinality(hll_union_agg(visitors))::numeric)::bigint"

    /// Whether every key of `query`'s answer reads at most one rollup row: a timeseries (one row per bucket
    /// of `rollup_daily`/`rollup_hourly`), or one of a dimension whose filters pin a single value.
    static func readsOneRowPerKey(_ query: StatsQuery, dimension: StatsProperty?) -> Bool {
        guard query.endpoint == .timeseries else { return false }
        guard dimension != nil else { return true }
        return query.filters.contains { $0.operator == .is && $0.values.count == 1 }
    }

    /// Breakdowns asking for at most this many rows union the sketches of a few values only (see
    /// ``breakdown(_:limit:)``); longer ones union every value's, which costs no more then.
    static let cutLimit = 100

    /// A breakdown of `rows` whose answer rows are exact for the first
    /// `limit` (a placeholder) in breakdown order, while the sketches of only a few values are unioned: a
    /// breakdown by page over 30 days otherwise unions and counts the sketches of every page ever seen, most
    /// of which end far below the cut, and each union costs the same whatever its sketches hold (postgresql-hll
    /// allocates a state of over 128 KB per group).
    ///
    /// A value's visitors over the range are at most `high`, the sum of its rows' events: each person a row
    /// counts has at least one of its events (a session dimension's row sums the events of its visits), and a
    /// union holds at most all of its parts. `high` is taken for every value; the `limit` values with the
    /// largest are the first candidates, and the smallest of their visitors is the cut: at least `limit`
    /// values reach it, so a value whose `high` stays below it cannot be among the first `limit`. Every other
    /// value whose `high` reaches the cut is a candidate too; the rest are left out. Only the candidates'
    /// rows are read again, for their sketches and sums: by value, through `rollup_daily_dims_by_value`
    /// (migration 0012) and the primary key of `rollup_span_dims` (0013), not by a second pass over the range.
    ///
    /// Sketch estimates can pass the bound only by the sketch's error: none while a sketch is an explicit list
    /// (under about 1,280 persons), a relative standard error of 0.8% once dense. The test keeps every value
    /// with `high` at 90% of the cut less one or more, a margin of more than twelve standard errors, so the
    /// first `limit` rows equal those of a union of every value's sketches.
    ///
    /// The plan must not depend on estimates: rows written a moment ago have none, and a nested loop that
    /// evaluates the cut once per row took 14 s where this takes 60 ms. So every set is a materialized CTE,
    /// the cut and the value lists are computed once (`ARRAY(…)`, a scalar subquery), and the rows of each
    /// listed value are found by a subquery of that value alone (``RollupRows/rows(of:)``), which no estimate
    /// turns into a scan of the whole dimension.
    static func breakdown(_ rows: RollupRows, limit: String) -> String {
        let sums = ["pageviews", "events", "visits", "bounces", "duration_us", "visit_pageviews"]
        func measured(_ values: String) -> String {
            """
            SELECT candidate.value AS key, \(unionCount) AS visitors,
                    \(sums.map { "sum(\($0))::bigint AS \($0)" }.joined(separator: ", "))
                FROM unnest(ARRAY(\(values))) AS candidate(value)
                CROSS JOIN LATERAL \(rows.rows(of: "candidate.value")) AS candidate_rows
                GROUP BY candidate.value
            """
        }
        let first = "SELECT key FROM bounds ORDER BY high DESC, key COLLATE \"C\" LIMIT \(limit)"
        let rest = """
            SELECT key FROM bounds
                    WHERE 10 * high >= 9 * (SELECT coalesce(min(visitors), 0) FROM first_visitors) - 10
                        AND key <> ALL(ARRAY(SELECT key FROM first_visitors))
            """
        return """
            WITH bounds AS MATERIALIZED (
                SELECT value AS key, sum(events) AS high
                FROM \(rows.source())
                GROUP BY value
            ), first_visitors AS MATERIALIZED (
                \(measured(first))
            ), rest_visitors AS MATERIALIZED (
                \(measured(rest))
            )
            SELECT * FROM first_visitors UNION ALL SELECT * FROM rest_visitors
            """
    }

    /// The rows of `sql` (a statement whose first column is `key`) in breakdown order, at most `limit`:
    /// visitors, then pageviews, largest first; then the value in code point order (so the order does not
    /// depend on the database's collation). `limit` is the placeholder of a bound bigint.
    ///
    /// The statement is wrapped because `ORDER BY 1 COLLATE "C"` would collate the constant 1, not the
    /// first column, and inside it `key` may also name a column of the tables read.
    static func ordered(_ sql: String, limit: String) -> String {
        "SELECT * FROM (\n\(sql)\n) AS answer\nORDER BY 2 DESC, 3 DESC, key COLLATE \"C\"\nLIMIT \(limit)"
    }

    /// Distinct people with a counted event in the last five minutes (by the database's clock; events
    /// stamped up to a minute ahead of it count too, for clients whose clocks run a little fast).
    ///
    /// `now() - interval '5 minutes'` is known only when the statement runs, so the planner costs every daily
    /// partition of `analytics.events` and, over 60 of them, chose two parallel workers whose start took
    /// most of the statement (9 ms of 10; the scan itself, 1.5 ms). The statement therefore also bounds the
    /// timestamps to the hour either side of `now`, the server's clock: known at planning, that leaves one
    /// partition to plan (two around midnight), and the database's clock still decides which rows are in the
    /// five minutes. The bound excludes none of them while the two clocks differ by less than 55 minutes.
    static func realtimeVisitors(projectID: Int64, now: Timestamp) -> StatsStatement {
        var parameters = StatementParameters()
        let project = parameters.bind(String(projectID), as: "bigint")
        func hours(_ count: Int64) -> String {
            let instant = Timestamp(unixMicroseconds: now.unixMicroseconds + count * 3_600_000_000)
            return parameters.bind(instant.iso8601String, as: "timestamptz")
        }
        let from = hours(-1)
        let to = hours(1)
        let sql = """
            SELECT '' AS key, count(DISTINCT coalesce(user_id, anonymous_id))::bigint, 0::bigint, 0::bigint,
                0::bigint, 0::bigint, 0::bigint, 0::bigint
            FROM analytics.events
            WHERE project_id = \(project) AND type IN ('track', 'page', 'screen') AND NOT is_bot
                AND "timestamp" >= \(from) AND "timestamp" < \(to)
                AND "timestamp" >= now() - interval '5 minutes' AND "timestamp" <= now() + interval '1 minute'
            """
        return StatsStatement(sql: sql, parameters: parameters.values, reusesPlan: false)
    }
}

/// The rollup rows a statement reads, as the text that follows its `FROM`: one table's rows meeting the
/// conditions, or those of the pieces of a range (single days of `rollup_daily_dims`, blocks of
/// `rollup_span_dims`).
///
/// A range's pieces are a `VALUES` list of (length, first day), length 1 for a single day, and each piece's
/// rows are found by a `LATERAL` subquery with an equality on every column of its table's primary key but
/// the value (``rows(of:)`` adds the value too). That plan does not depend on estimates, which rows written a
/// moment ago do not have: for an `OR` of the blocks the planner then scanned the whole dimension's index
/// entries and filtered them (25 ms for 37,000 page rows, against 2 for the 3,000 it needed), and for a
/// `UNION ALL` of one branch per block it chose a parallel plan whose workers took longer to start (17 ms)
/// than the statement takes. A nested loop over a `VALUES` list has neither.
struct RollupRows {
    private enum Shape {
        case table(String, conditions: [String])
        /// `values`: the `VALUES` rows (length, first day placeholder); conditions on the dimension tables.
        case pieces(values: String, conditions: [String])
    }

    private let shape: Shape

    init(table: String, conditions: [String]) {
        shape = .table(table, conditions: conditions)
    }

    /// The days and blocks of `pieces` whose rows meet `conditions` (on the dimension tables' columns).
    init(pieces: (days: [CalendarDay], spans: [RollupSpan]), of conditions: [String], _ parameters: inout StatementParameters) {
        let rows = pieces.days.map { (1, $0) } + pieces.spans.map { ($0.length, $0.firstDay) }
        let values = rows.map { "(\($0.0), \(parameters.bind($0.1.description, as: "date")))" }
        shape = .pieces(values: values.joined(separator: ", "), conditions: conditions)
    }

    /// The measures' columns, as every table has them.
    static let measures = RollupMeasures.columns

    /// The `FROM` text.
    func source() -> String {
        switch shape {
        case .table(let table, let conditions):
            return "\(table)\n    WHERE \(conditions.joined(separator: "\n    AND "))"
        case .pieces:
            return "(\n" + select("value, \(Self.measures)") + "\n) AS pieces"
        }
    }

    /// The rows of one value, `value` (an SQL expression: a column of the query around), as a subquery of
    /// their measures for a `LATERAL` join; `OFFSET 0` keeps it from being pulled up into a join.
    func rows(of value: String) -> String {
        "(\n" + select(Self.measures, and: "value = \(value)") + "\n    OFFSET 0\n)"
    }

    /// The rows as one `SELECT` of `columns`, with `extra` added to the conditions.
    private func select(_ columns: String, and extra: String? = nil) -> String {
        func conditions(_ base: [String], _ own: [String]) -> String {
            (base + (extra.map { [$0] } ?? []) + own).joined(separator: "\n            AND ")
        }
        switch shape {
        case .table(let table, let base):
            return "    SELECT \(columns) FROM \(table)\n    WHERE \(conditions(base, []))"
        case .pieces(let values, let base):
            return """
                    SELECT piece_rows.* FROM (VALUES \(values)) AS piece(span_days, first_day)
                    CROSS JOIN LATERAL (
                        SELECT \(columns) FROM analytics.rollup_daily_dims
                        WHERE \(conditions(base, ["piece.span_days = 1", "day = piece.first_day"]))
                        UNION ALL
                        SELECT \(columns) FROM analytics.rollup_span_dims
                        WHERE \(conditions(base, ["span_days = piece.span_days", "first_day = piece.first_day"]))
                        OFFSET 0
                    ) AS piece_rows
                """
        }
    }
}
