extension StatsStatement {
    /// A query answered from the rollups: `rollup_daily`/`rollup_hourly` with no dimension, else the
    /// dimension's rows of `rollup_daily_dims`/`rollup_hourly_dims` whose value meets every filter (all of
    /// which are on that dimension; ``StatsPlan`` sees to it). Hourly tables for an hourly timeseries only.
    ///
    /// Visitors are the cardinality of the union of the rows' sketches, rounded half away from zero (numeric
    /// `round`); the other measures are sums.
    static func rollup(_ query: StatsQuery, projectID: Int64, dimension: StatsProperty?) -> StatsStatement {
        var parameters = StatementParameters()
        let project = parameters.bind(String(projectID), as: "bigint")
        let hourly = query.endpoint == .timeseries && query.interval == .hour
        let table = "analytics.rollup_\(hourly ? "hourly" : "daily")\(dimension == nil ? "" : "_dims")"
        var conditions = ["project_id = \(project)"]
        if hourly {
            let start = parameters.bind(StatementParameters.instant(query.range.start), as: "timestamptz")
            let end = parameters.bind(StatementParameters.instant(query.range.end), as: "timestamptz")
            conditions.append("bucket >= \(start) AND bucket < \(end)")
        } else {
            let from = parameters.bind(query.range.from.description, as: "date")
            let to = parameters.bind(query.range.to.description, as: "date")
            conditions.append("day BETWEEN \(from) AND \(to)")
        }
        if let dimension {
            conditions.append("dimension = \(parameters.bind(dimension.name, as: "text"))")
            for filter in query.filters {
                conditions.append(filter.condition("value", &parameters))
            }
        }

        let key: String
        switch query.endpoint {
        case .timeseries:
            key = hourly ? "(extract(epoch FROM bucket)::bigint / 3600)::text" : "(day - DATE '1970-01-01')::text"
        case .breakdown: key = "value"
        case .aggregate, .realtimeVisitors: key = "''"
        }
        var sql = """
            SELECT \(key) AS key,
                coalesce(round(hll_cardinality(hll_union_agg(visitors))::numeric), 0)::bigint,
                coalesce(sum(pageviews), 0)::bigint, coalesce(sum(events), 0)::bigint,
                coalesce(sum(visits), 0)::bigint, coalesce(sum(bounces), 0)::bigint,
                coalesce(sum(duration_us), 0)::bigint, coalesce(sum(visit_pageviews), 0)::bigint
            FROM \(table)
            WHERE \(conditions.joined(separator: "\n    AND "))
            GROUP BY 1
            """
        if query.endpoint == .breakdown {
            sql = Self.ordered(sql, limit: query.limit, &parameters)
        }
        return StatsStatement(sql: sql, parameters: parameters.values)
    }

    /// The rows of `sql` (a statement whose first column is `key`) in breakdown order, at most `limit`:
    /// visitors, then pageviews, largest first; then the value in code point order (so the order does not
    /// depend on the database's collation).
    ///
    /// The statement is wrapped because `ORDER BY 1 COLLATE "C"` would collate the constant 1, not the
    /// first column, and inside it `key` may also name a column of the tables read.
    static func ordered(_ sql: String, limit: Int, _ parameters: inout StatementParameters) -> String {
        let limit = parameters.bind(String(limit), as: "bigint")
        return "SELECT * FROM (\n\(sql)\n) AS answer\nORDER BY 2 DESC, 3 DESC, key COLLATE \"C\"\nLIMIT \(limit)"
    }

    /// Distinct people with a counted event in the last five minutes (by the database's clock; events
    /// stamped up to a minute ahead of it count too, for clients whose clocks run a little fast).
    static func realtimeVisitors(projectID: Int64) -> StatsStatement {
        var parameters = StatementParameters()
        let project = parameters.bind(String(projectID), as: "bigint")
        let sql = """
            SELECT '' AS key, count(DISTINCT coalesce(user_id, anonymous_id))::bigint, 0::bigint, 0::bigint,
                0::bigint, 0::bigint, 0::bigint, 0::bigint
            FROM analytics.events
            WHERE project_id = \(project) AND type IN ('track', 'page', 'screen') AND NOT is_bot
                AND "timestamp" >= now() - interval '5 minutes' AND "timestamp" <= now() + interval '1 minute'
            """
        return StatsStatement(sql: sql, parameters: parameters.values)
    }
}
