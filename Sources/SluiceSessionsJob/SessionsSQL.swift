import SluiceRollups
import SluiceSessions
import SluiceStore

/// The statements of a sessions step (see `SessionStep`), run in this order in one transaction.
///
/// The visits of the step's persons are derived in two statements rather than one because a statement's
/// data-modifying parts run in no set order: deleting a visit and inserting its replacement (often with the
/// same key) in one statement could meet the old row still in the index.
enum SessionsSQL {
    /// What counts as an event of a visit, on `analytics.events` aliased `alias`.
    static func counted(_ alias: String) -> String {
        "\(alias).type IN ('track', 'page', 'screen') AND NOT \(alias).is_bot"
    }

    /// The person of an event, on `analytics.events` aliased `alias`.
    static func person(_ alias: String) -> String { "coalesce(\(alias).user_id, \(alias).anonymous_id)" }

    /// The table of the current step's affected persons and the span of their events to derive visits from;
    /// one per run's connection, emptied at every commit.
    /// Serializes the steps of one project (`$1`) until the transaction ends.
    static let lockProject = """
        SELECT pg_advisory_xact_lock(hashtextextended('sluice.sessions ' || $1, 0))
        """

    static let createWindows = """
        CREATE TEMPORARY TABLE IF NOT EXISTS sluice_visit_windows (
            person_id  text        NOT NULL,
            lo         timestamptz NOT NULL,
            hi         timestamptz NOT NULL
        ) ON COMMIT DELETE ROWS
        """

    /// Deletes the visits of the step's persons that overlap the step's window, marks their start hours and
    /// the step's hours for the rollups, and fills `sluice_visit_windows`: per person who lost a visit or has
    /// an event in the step's hours, from the earliest start (or the step's start) to the latest end (or the
    /// step's end).
    ///
    /// The step's persons: every person of the project (``deleteAndPlan``), or, with a bound
    /// (``deleteAndPlanReceived``), only those with a counted event in the step's hours received at or after
    /// `$8` (see `SessionStep.receivedFrom`).
    ///
    /// Parameters: `$1` project, `$2`/`$3` the step's hours `[start, end)`, `$4`/`$5` the overlap window
    /// `[from, through]`, `$6` the earliest start of a visit shorter than a day that can overlap it, `$7`
    /// the step's hours (array), and `$8` the bound for ``deleteAndPlanReceived``. Returns one row: visits
    /// deleted, persons, earliest `lo`, latest `hi`.
    static let deleteAndPlan = deleteAndPlan(received: false)
    static let deleteAndPlanReceived = deleteAndPlan(received: true)

    private static func deleteAndPlan(received: Bool) -> String {
        """
        WITH arrivals AS (
            SELECT DISTINCT \(person("e")) AS person_id
            FROM analytics.events e
            WHERE e.project_id = $1 AND e."timestamp" >= $2 AND e."timestamp" < $3 AND \(counted("e"))
              AND \(person("e")) IS NOT NULL\(received ? " AND e.received_at >= $8" : "")
        ), deleted AS (
            DELETE FROM analytics.sessions
            WHERE project_id = $1 AND session_start <= $5 AND session_end >= $4
              AND (session_start >= $6 OR duration_us >= \(VisitRule.longVisitMicroseconds))\(
                received ? "\n      AND person_id IN (SELECT person_id FROM arrivals)" : "")
            RETURNING person_id, session_start, session_end
        ), marked AS (
            INSERT INTO sluice.rollup_marks (project_id, hour)
            SELECT $1, hour FROM (
                SELECT date_trunc('hour', session_start, 'UTC') FROM deleted
                UNION SELECT unnest($7::timestamptz[])
            ) AS touched(hour)
        ), windows AS (
            INSERT INTO sluice_visit_windows (person_id, lo, hi)
            SELECT person_id, least($2, min(session_start)), greatest($3, max(session_end))
            FROM (
                SELECT person_id, session_start, session_end FROM deleted
                UNION ALL SELECT person_id, NULL, NULL FROM arrivals
            ) AS affected
            GROUP BY person_id
            RETURNING lo, hi
        )
        SELECT (SELECT count(*) FROM deleted), count(*), min(lo), max(hi) FROM windows
        """
    }

    /// Keeps the planner from joining the windows to the events with a nested loop, for the rest of the step's
    /// transaction.
    ///
    /// The events of the hours a step derives are the newest of their partition, often newer than the last
    /// `ANALYZE` of it: today's partition is analyzed by autovacuum while it fills, so its `timestamp`
    /// histogram ends hours before the rows the step reads, and the planner estimates a row or two where
    /// there are hundreds of thousands. Its plan then was a nested loop of every window over all of the
    /// partition's rows (one step of a benchmark, 3,959 persons over one day, ran 171 s instead of a few).
    /// There is no index by person to make a nested loop worthwhile here, so a hash or merge join is never
    /// worse, whatever the estimates.
    static let noNestedLoops = "SET LOCAL enable_nestloop = off"

    /// Derives the visits of the persons in `sluice_visit_windows` from their counted events inside their
    /// windows, inserts them, and marks their start hours for the rollups.
    ///
    /// An event opens a visit unless it comes at most the rule's gap after the person's previous event
    /// (ordered by timestamp, then message_id). The visit's first-event attributes and its entry and exit
    /// pages are picked by window functions over that one order rather than by ordered aggregates, which
    /// would sort every visit's rows again.
    ///
    /// Parameters: `$1` project, `$2`/`$3` the earliest `lo` and latest `hi` of the windows (they bound the
    /// scan of events, so only those days' partitions are read), `$4` the rule's gap (interval). Returns one
    /// row: visits inserted.
    static let derive: String = {
        let firstEvent = [
            "referrer_host", "utm_source", "utm_medium", "utm_campaign", "country", "browser", "os",
            "device_type",
        ]
        return """
            WITH ordered AS (
                SELECT w.person_id, e."timestamp", e.message_id, e.type, e.event, e.page_path,
                       \(firstEvent.map { "e.\($0)" }.joined(separator: ", ")),
                       CASE WHEN e."timestamp" - lag(e."timestamp") OVER person_order <= $4::interval
                            THEN 0 ELSE 1 END AS opens
                FROM analytics.events e
                JOIN sluice_visit_windows w
                  ON w.person_id = \(person("e")) AND e."timestamp" >= w.lo AND e."timestamp" <= w.hi
                WHERE e.project_id = $1 AND e."timestamp" >= $2 AND e."timestamp" <= $3 AND \(counted("e"))
                WINDOW person_order AS (PARTITION BY w.person_id ORDER BY e."timestamp", e.message_id)
            ), numbered AS (
                SELECT *, sum(opens) OVER (
                    PARTITION BY person_id ORDER BY "timestamp", message_id ROWS UNBOUNDED PRECEDING) AS visit
                FROM ordered
            ), paged AS (
                SELECT *,
                       count(*) FILTER (WHERE type = 'page') OVER (
                           PARTITION BY person_id, visit ORDER BY "timestamp", message_id
                           ROWS UNBOUNDED PRECEDING) AS page_number,
                       count(*) FILTER (WHERE type = 'page') OVER (PARTITION BY person_id, visit) AS page_count
                FROM numbered
            ), visits AS (
                SELECT person_id, min("timestamp") AS session_start, max("timestamp") AS session_end,
                       count(*) FILTER (WHERE type = 'page') AS pageviews, count(*) AS events,
                       max(page_path) FILTER (WHERE type = 'page' AND page_number = 1) AS entry_page,
                       max(page_path) FILTER (WHERE type = 'page' AND page_number = page_count) AS exit_page,
                       \(firstEvent.map { "max(\($0)) FILTER (WHERE opens = 1) AS \($0)" }.joined(separator: ",\n           ")),
                       coalesce(array_agg(DISTINCT coalesce(page_path, '\(RollupDimension.noValue)'))
                           FILTER (WHERE type = 'page'), '{}') AS pages,
                       coalesce(array_agg(DISTINCT event) FILTER (WHERE type = 'track' AND event IS NOT NULL), '{}')
                           AS event_names
                FROM paged
                GROUP BY person_id, visit
            ), inserted AS (
                INSERT INTO analytics.sessions (
                    project_id, person_id, session_start, session_end, duration_us, pageviews, events,
                    entry_page, exit_page, \(firstEvent.joined(separator: ", ")), is_bounce, pages, event_names)
                SELECT $1, person_id, session_start, session_end,
                       (extract(epoch FROM session_end - session_start) * 1000000)::bigint, pageviews, events,
                       entry_page, exit_page, \(firstEvent.joined(separator: ", ")),
                       pageviews = 1 AND events = 1, pages, event_names
                FROM visits
                RETURNING session_start
            ), marked AS (
                INSERT INTO sluice.rollup_marks (project_id, hour)
                SELECT DISTINCT $1::bigint, date_trunc('hour', session_start, 'UTC') FROM inserted
            )
            SELECT count(*) FROM inserted
            """
    }()
}
