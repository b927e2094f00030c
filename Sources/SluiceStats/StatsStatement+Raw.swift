extension StatsStatement {
    /// A query answered from `analytics.sessions` and `analytics.events` of the range, exact, for the filters
    /// no rollup answers. It counts by the same definitions as the rollups (docs/stats.md), so a query both
    /// can answer gets the same numbers from either:
    ///
    /// - A visit is *selected* when its attributes meet every session-dimension filter and, for every
    ///   event-dimension filter, at least one of its values (`pages`, `event_names`) meets it. Visits,
    ///   bounces, durations and visit pageviews count the selected visits that started in the range.
    /// - Visitors, pageviews and events: with no event-dimension filter (and no breakdown by one) but some
    ///   session-dimension filter, those of the selected visits started in the range, as the
    ///   session-dimension rollups count them. Otherwise the counted events of the range that *meet* the
    ///   event-dimension filters (an event has a `page` if it is a page event, an `event` if it is a track
    ///   event; it meets when it has at least one filtered dimension and meets every filter on a dimension
    ///   it has), in a selected visit — which may have started before the range.
    /// - A breakdown by P is, for each value v of P that meets the filters on P, the aggregate with the
    ///   filters and P == v; a timeseries is the aggregate of each bucket (visit measures by the visit's
    ///   start, event measures by the event's time, or by the visit's start where they come from visits).
    ///
    /// The event side joins each event to its visit (same person, time within the visit) only where the
    /// answer needs the visit: a session-dimension filter or breakdown, or more than one event-dimension
    /// condition.
    static func raw(_ query: StatsQuery, projectID: Int64) -> StatsStatement {
        var parameters = StatementParameters()
        let project = parameters.bind(String(projectID), as: "bigint")
        let start = parameters.bind(StatementParameters.instant(query.range.start), as: "timestamptz")
        let end = parameters.bind(StatementParameters.instant(query.range.end), as: "timestamptz")

        let breakdown = query.endpoint == .breakdown ? query.property : nil
        let sessionFilters = query.filters.filter { !$0.property.isEventDimension }
        let eventFilters = query.filters.filter { $0.property.isEventDimension }
        let byEventDimension = breakdown?.isEventDimension == true
        let bySessionDimension = breakdown.map { !$0.isEventDimension } ?? false
        let eventsFromEvents =
            !eventFilters.isEmpty || byEventDimension || (sessionFilters.isEmpty && !bySessionDimension)
        let eventConditions = eventFilters.count + (byEventDimension ? 1 : 0)
        let join = eventsFromEvents && (!sessionFilters.isEmpty || bySessionDimension || eventConditions >= 2)

        // The visits: started in the range, or (for the join) holding an event of it.
        var selection = [
            "s.project_id = \(project)", "s.session_start < \(end)",
            join ? "s.session_end >= \(start)" : "s.session_start >= \(start)",
        ]
        for filter in sessionFilters {
            selection.append(filter.condition(shown("s.\(filter.property.sessionColumn)"), &parameters))
        }
        for filter in eventFilters {
            let meets = filter.condition(shown("f.value"), &parameters)
            selection.append(
                "EXISTS (SELECT 1 FROM unnest(s.\(filter.property.sessionColumn)) AS f(value) WHERE \(meets))"
            )
        }

        func bucket(_ time: String) -> String {
            "floor(extract(epoch FROM \(time)) / \(query.interval.seconds))::bigint::text"
        }
        let visitKey: String
        var visitFrom = "selected v"
        var visitConditions = ["v.session_start >= \(start)"]
        switch (query.endpoint, breakdown) {
        case (.timeseries, _): visitKey = bucket("v.session_start")
        case (.breakdown, .some(let property)) where property.isEventDimension:
            visitKey = shown("u.value")
            visitFrom += " CROSS JOIN LATERAL unnest(v.\(property.sessionColumn)) AS u(value)"
            for filter in eventFilters where filter.property == property {
                visitConditions.append(filter.condition(shown("u.value"), &parameters))
            }
        case (.breakdown, .some(let property)): visitKey = shown("v.\(property.sessionColumn)")
        default: visitKey = "''"
        }
        let visitEventMeasures =
            eventsFromEvents
            ? ""
            : ",\n        count(DISTINCT v.person_id) AS visitors, sum(v.pageviews) AS pageviews, "
                + "sum(v.events) AS events"
        var sql = """
            WITH selected AS (
                SELECT s.* FROM analytics.sessions s
                WHERE \(selection.joined(separator: "\n        AND "))
            ), visit_side AS (
                SELECT \(visitKey) AS key, count(*) AS visits, count(*) FILTER (WHERE v.is_bounce) AS bounces,
                    sum(v.duration_us) AS duration_us, sum(v.pageviews) AS visit_pageviews\(visitEventMeasures)
                FROM \(visitFrom)
                WHERE \(visitConditions.joined(separator: " AND "))
                GROUP BY 1
            )
            """

        if eventsFromEvents {
            let person = "coalesce(e.user_id, e.anonymous_id)"
            var conditions = [
                "e.project_id = \(project)", "e.\"timestamp\" >= \(start)", "e.\"timestamp\" < \(end)",
                "e.type IN ('track', 'page', 'screen')", "NOT e.is_bot",
            ]
            // Has a filtered dimension (the broken-down one, when it is an event dimension)…
            let typesNeeded = Set(
                (byEventDimension ? [breakdown!] : eventFilters.map(\.property)).compactMap { $0.eventColumn?.type }
            ).sorted()
            if !typesNeeded.isEmpty {
                conditions.append("e.type IN (\(typesNeeded.map { "'\($0)'" }.joined(separator: ", ")))")
            }
            // …and meets every filter on a dimension it has.
            for filter in eventFilters {
                let (column, type) = filter.property.eventColumn!
                conditions.append("(e.type <> '\(type)' OR \(filter.condition(shown("e.\(column)"), &parameters)))")
            }
            let eventKey: String
            switch (query.endpoint, breakdown) {
            case (.timeseries, _): eventKey = bucket("e.\"timestamp\"")
            case (.breakdown, .some(let property)) where property.isEventDimension:
                eventKey = shown("e.\(property.eventColumn!.column)")
            case (.breakdown, .some(let property)): eventKey = shown("v.\(property.sessionColumn)")
            default: eventKey = "''"
            }
            let visitJoin =
                join
                ? """

                    JOIN selected v ON v.project_id = e.project_id AND v.person_id = \(person)
                        AND e."timestamp" >= v.session_start AND e."timestamp" <= v.session_end
                """
                : ""
            sql += """
                , event_side AS (
                    SELECT \(eventKey) AS key, count(DISTINCT \(person)) AS visitors,
                        count(*) FILTER (WHERE e.type = 'page') AS pageviews, count(*) AS events
                    FROM analytics.events e\(visitJoin)
                    WHERE \(conditions.joined(separator: "\n        AND "))
                    GROUP BY 1
                )
                SELECT coalesce(vs.key, es.key) AS key, coalesce(es.visitors, 0)::bigint,
                    coalesce(es.pageviews, 0)::bigint, coalesce(es.events, 0)::bigint, coalesce(vs.visits, 0)::bigint,
                    coalesce(vs.bounces, 0)::bigint, coalesce(vs.duration_us, 0)::bigint,
                    coalesce(vs.visit_pageviews, 0)::bigint
                FROM visit_side vs FULL JOIN event_side es ON es.key = vs.key
                """
        } else {
            sql += """

                SELECT key, visitors::bigint, pageviews::bigint, events::bigint, visits::bigint, bounces::bigint,
                    duration_us::bigint, visit_pageviews::bigint
                FROM visit_side
                """
        }
        if query.endpoint == .breakdown {
            sql = ordered(sql, limit: parameters.bind(String(query.limit), as: "bigint"))
        }
        return StatsStatement(sql: sql, parameters: parameters.values, reusesPlan: false)
    }
}
