import SluiceRollups

/// The statements of a rollup unit (see `RollupUnit`), run in this order in one transaction.
///
/// Hourly statements take `$1` project, `$2` the unit's hours (timestamptz array), `$3`/`$4` their span
/// `[from, to)`, which bounds the scans of events and sessions to those hours' partitions and index ranges.
/// Daily statements take `$1` project, `$2` the day, `$3`/`$4` the day's `[from, to)`.
enum RollupsSQL {
    static let noValue = "'\(RollupDimension.noValue)'"
    static let person = "coalesce(e.user_id, e.anonymous_id)"
    static let eventHour = #"date_trunc('hour', e."timestamp", 'UTC')"#
    static let visitHour = "date_trunc('hour', s.session_start, 'UTC')"
    static let measures = RollupMeasures.columns

    /// Every dimension name as an SQL array: with it the dims tables' primary key (project_id, dimension,
    /// bucket, value) finds a unit's buckets by index instead of reading all of the project's rows.
    static let dimensions = "ARRAY[" + RollupDimension.allCases.map { "'\($0.name)'" }.joined(separator: ", ") + "]"

    /// The event dimensions' (`type`, `column`, `visitColumn`, name).
    static let eventDimensions: [(type: String, column: String, visitColumn: String, name: String)] =
        RollupDimension.allCases.compactMap { dimension in
            guard case .event(let type, let column, let visitColumn) = dimension.kind else { return nil }
            return (type, column, visitColumn, dimension.name)
        }

    /// The counted events of the unit's hours, as `analytics.events e`; `extra` adds a condition.
    static func unitEvents(_ extra: String = "") -> String {
        """
        analytics.events e
        WHERE e.project_id = $1 AND e."timestamp" >= $3 AND e."timestamp" < $4
          AND \(eventHour) = ANY($2::timestamptz[])
          AND e.type IN ('track', 'page', 'screen') AND NOT e.is_bot\(extra.isEmpty ? "" : " AND " + extra)
        """
    }

    /// The visits started in the unit's hours, as `analytics.sessions s`, with `join` after it.
    static func unitVisits(_ join: String = "") -> String {
        """
        analytics.sessions s\(join.isEmpty ? "" : " " + join)
        WHERE s.project_id = $1 AND s.session_start >= $3 AND s.session_start < $4
          AND \(visitHour) = ANY($2::timestamptz[])
        """
    }

    /// Visit measures of the visits `s` in a group.
    static let visitMeasures = """
        count(*) AS visits, count(*) FILTER (WHERE s.is_bounce) AS bounces, sum(s.duration_us) AS duration_us,
        sum(s.pageviews) AS visit_pageviews
        """

    /// The columns of an event-time part `t` joined with a visit part `v`, zero where either has no row.
    static let joinedMeasures = """
        coalesce(t.visitors, \(RollupSketch.empty)), coalesce(t.pageviews, 0), coalesce(t.events, 0),
        coalesce(v.visits, 0), coalesce(v.bounces, 0), coalesce(v.duration_us, 0), coalesce(v.visit_pageviews, 0)
        """

    /// Serializes the recomputations of one project's day (`$1` project, `$2` day) until the transaction ends.
    static let lockDay = """
        SELECT pg_advisory_xact_lock(hashtextextended('sluice.rollups ' || $1 || ' ' || $2, 0))
        """

    static let deleteHourly = """
        DELETE FROM analytics.rollup_hourly WHERE project_id = $1 AND bucket = ANY($2::timestamptz[])
        """

    static let insertHourly = """
        INSERT INTO analytics.rollup_hourly (project_id, bucket, \(measures))
        SELECT $1, coalesce(t.bucket, v.bucket), \(joinedMeasures)
        FROM (
            SELECT \(eventHour) AS bucket, \(RollupSketch.aggregate(person)) AS visitors,
                   count(*) FILTER (WHERE e.type = 'page') AS pageviews, count(*) AS events
            FROM \(unitEvents())
            GROUP BY 1
        ) AS t
        FULL JOIN (
            SELECT \(visitHour) AS bucket, \(visitMeasures)
            FROM \(unitVisits())
            GROUP BY 1
        ) AS v ON v.bucket = t.bucket
        """

    static let deleteHourlyDims = """
        DELETE FROM analytics.rollup_hourly_dims
        WHERE project_id = $1 AND dimension = ANY(\(dimensions)) AND bucket = ANY($2::timestamptz[])
        """

    /// Session dimensions: per hour, dimension and value, the visits started in the hour with that value.
    static let insertSessionDims: String = {
        let pairs = RollupDimension.sessionDimensions.map { dimension -> String in
            guard case .session(let column) = dimension.kind else { preconditionFailure("\(dimension)") }
            return "('\(dimension.name)', s.\(column))"
        }
        return """
            INSERT INTO analytics.rollup_hourly_dims (project_id, dimension, bucket, value, \(measures))
            SELECT $1, d.dimension, \(visitHour), coalesce(d.value, \(noValue)),
                   \(RollupSketch.aggregate("s.person_id")), sum(s.pageviews), sum(s.events), \(visitMeasures)
            FROM \(unitVisits("CROSS JOIN LATERAL (VALUES \(pairs.joined(separator: ", "))) AS d(dimension, value)"))
            GROUP BY 2, 3, 4
            """
    }()

    /// Event dimensions: per hour, dimension and value, the matching events of the hour (visitors,
    /// pageviews, events) joined with the visits started in the hour that hold one (visits, bounces, …).
    static let insertEventDims: String = {
        let dimension =
            "CASE e.type "
            + eventDimensions.map { "WHEN '\($0.type)' THEN '\($0.name)'" }
            .joined(separator: " ") + " END"
        let value =
            "CASE e.type "
            + eventDimensions.map { "WHEN '\($0.type)' THEN e.\($0.column)" }
            .joined(separator: " ") + " END"
        let types = eventDimensions.map { "'\($0.type)'" }.joined(separator: ", ")
        let visitValues = eventDimensions.map { "SELECT '\($0.name)', unnest(s.\($0.visitColumn))" }
            .joined(separator: " UNION ALL ")
        return """
            INSERT INTO analytics.rollup_hourly_dims (project_id, dimension, bucket, value, \(measures))
            SELECT $1, coalesce(t.dimension, v.dimension), coalesce(t.bucket, v.bucket),
                   coalesce(t.value, v.value), \(joinedMeasures)
            FROM (
                SELECT \(dimension) AS dimension, \(eventHour) AS bucket, coalesce(\(value), \(noValue)) AS value,
                       \(RollupSketch.aggregate(person)) AS visitors,
                       count(*) FILTER (WHERE e.type = 'page') AS pageviews, count(*) AS events
                FROM \(unitEvents("e.type IN (\(types))"))
                GROUP BY 1, 2, 3
            ) AS t
            FULL JOIN (
                SELECT d.dimension, \(visitHour) AS bucket, d.value, \(visitMeasures)
                FROM \(unitVisits("CROSS JOIN LATERAL (\(visitValues)) AS d(dimension, value)"))
                GROUP BY 1, 2, 3
            ) AS v ON v.dimension = t.dimension AND v.bucket = t.bucket AND v.value = t.value
            """
    }()

    static let deleteDaily = "DELETE FROM analytics.rollup_daily WHERE project_id = $1 AND day = $2::date"

    /// The day's row from its hourly rows; none when it has none.
    static let insertDaily = """
        INSERT INTO analytics.rollup_daily (project_id, day, \(measures))
        SELECT $1, $2::date, hll_union_agg(visitors), sum(pageviews), sum(events), sum(visits), sum(bounces),
               sum(duration_us), sum(visit_pageviews)
        FROM analytics.rollup_hourly
        WHERE project_id = $1 AND bucket >= $3 AND bucket < $4
        HAVING count(*) > 0
        """

    static let deleteDailyDims = """
        DELETE FROM analytics.rollup_daily_dims
        WHERE project_id = $1 AND dimension = ANY(\(dimensions)) AND day = $2::date
        """

    static let insertDailyDims = """
        INSERT INTO analytics.rollup_daily_dims (project_id, dimension, day, value, \(measures))
        SELECT $1, dimension, $2::date, value, hll_union_agg(visitors), sum(pageviews), sum(events), sum(visits),
               sum(bounces), sum(duration_us), sum(visit_pageviews)
        FROM analytics.rollup_hourly_dims
        WHERE project_id = $1 AND dimension = ANY(\(dimensions)) AND bucket >= $3 AND bucket < $4
        GROUP BY dimension, value
        """

    // MARK: - Blocks of days (`analytics.rollup_span_dims`, migration 0013)
    //
    // `$1` project, `$2` the block's length in days, `$3` its first day.

    /// Serializes the rewrites of one project's block (`$1` project, `$2` length, `$3` first day), as
    /// ``lockDay`` does a day's.
    static let lockSpan = """
        SELECT pg_advisory_xact_lock(hashtextextended('sluice.rollup_span ' || $1 || ' ' || $2 || ' ' || $3, 0))
        """

    static let deleteSpanDims = """
        DELETE FROM analytics.rollup_span_dims
        WHERE project_id = $1 AND dimension = ANY(\(dimensions)) AND span_days = $2::smallint
          AND first_day = $3::date
        """

    /// A block's rows from `source`, the rows of its parts (columns `dimension`, `value` and the measures).
    static func insertSpanDims(from source: String) -> String {
        """
        INSERT INTO analytics.rollup_span_dims (project_id, dimension, span_days, first_day, value, \(measures))
        SELECT $1, dimension, $2::smallint, $3::date, value, hll_union_agg(visitors), sum(pageviews), sum(events),
               sum(visits), sum(bounces), sum(duration_us), sum(visit_pageviews)
        FROM \(source)
        GROUP BY dimension, value
        """
    }

    /// A 2-day block's rows from its two days' rows.
    static let insertSpanDimsFromDays = insertSpanDims(
        from: """
            analytics.rollup_daily_dims
            WHERE project_id = $1 AND dimension = ANY(\(dimensions)) AND day >= $3::date AND day < $3::date + 2
            """
    )

    /// A longer block's rows from its two halves' rows.
    static let insertSpanDimsFromHalves = insertSpanDims(
        from: """
            analytics.rollup_span_dims
            WHERE project_id = $1 AND dimension = ANY(\(dimensions)) AND span_days = $2::integer / 2
              AND first_day >= $3::date AND first_day < $3::date + $2::integer
            """
    )
}
