import SluiceCore

/// The JSON answers of the Stats API, in the shapes of Plausible's Stats API v1.
package enum StatsResponse {
    /// The answer to `plan`'s query from the rows its statement returned (and, for `conversion_rate`, the
    /// denominator's visitors).
    package static func render(_ query: StatsQuery, rows: [StatsRow], totalVisitors: Int64 = 0) -> String {
        switch query.endpoint {
        case .aggregate: aggregate(query, rows: rows)
        case .timeseries: timeseries(query, rows: rows)
        case .breakdown: breakdown(query, rows: rows, totalVisitors: totalVisitors)
        case .realtimeVisitors: realtime(visitors: rows.first?.measures.visitors ?? 0)
        }
    }

    /// `{"results":{"visitors":{"value":123},…}}`, the metrics in the order asked for.
    static func aggregate(_ query: StatsQuery, rows: [StatsRow]) -> String {
        let measures = rows.first?.measures ?? StatsMeasures()
        var text = #"{"results":{"#
        for (index, metric) in query.metrics.enumerated() {
            if index > 0 { text += "," }
            text += #""\#(metric.name)":{"value":\#(measures.value(metric))}"#
        }
        return text + "}}"
    }

    /// `{"results":[{"date":"2026-11-01","visitors":36,…},…]}`: every bucket of the range in order, zeros
    /// where no row came back; `date` is `YYYY-MM-DD`, or `YYYY-MM-DDTHH:00:00Z` for hours.
    static func timeseries(_ query: StatsQuery, rows: [StatsRow]) -> String {
        var byBucket: [Int64: StatsMeasures] = [:]
        for row in rows {
            if let bucket = Int64(row.key) { byBucket[bucket] = row.measures }
        }
        let buckets = query.range.buckets(query.interval)
        // 720 buckets of 7 metrics for an hourly month: appended piece by piece into one buffer sized up
        // front, since interpolating each bucket made temporaries that were a fifth of the request's time.
        let keys = metricKeys(query.metrics)
        var text = #"{"results":["#
        text.reserveCapacity(16 + buckets.count * (32 + 24 * keys.count))
        for bucket in buckets {
            text += bucket == buckets.lowerBound ? #"{"date":""# : #",{"date":""#
            text += label(bucket, query.interval)
            text += "\""
            append(query.metrics, keys: keys, of: byBucket[bucket] ?? StatsMeasures(), to: &text)
            text += "}"
        }
        text += "]}"
        return text
    }

    /// `{"results":[{"page":"/","visitors":12,…},…]}`, in the rows' order (the statement sorts and limits).
    static func breakdown(_ query: StatsQuery, rows: [StatsRow], totalVisitors: Int64) -> String {
        let name = query.property?.name ?? "value"
        let keys = metricKeys(query.metrics)
        var text = #"{"results":["#
        for (index, row) in rows.enumerated() {
            if index > 0 { text += "," }
            text += #"{"\#(name)":"#
            JSONString.append(row.key, to: &text)
            append(query.metrics, keys: keys, of: row.measures, totalVisitors: totalVisitors, to: &text)
            text += "}"
        }
        return text + "]}"
    }

    /// `{"visitors":N}`.
    package static func realtime(visitors: Int64) -> String {
        #"{"visitors":\#(visitors)}"#
    }

    /// `{"error":"…","parameter":"…"}` (`parameter` only when one is at fault): the shape of every refusal.
    package static func error(_ message: String, parameter: String? = nil) -> String {
        var text = #"{"error":"#
        JSONString.append(message, to: &text)
        if let parameter {
            text += #","parameter":"#
            JSONString.append(parameter, to: &text)
        }
        return text + "}"
    }

    /// Appends `,"name":value` for each of `metrics`, `keys` being their ``metricKeys(_:)``.
    private static func append(
        _ metrics: [StatsMetric], keys: [String], of measures: StatsMeasures, totalVisitors: Int64 = 0,
        to text: inout String
    ) {
        for (metric, key) in zip(metrics, keys) {
            text += key
            text += measures.value(metric, totalVisitors: totalVisitors).description
        }
    }

    /// `,"name":` of each metric, the text before its value in an answer row.
    private static func metricKeys(_ metrics: [StatsMetric]) -> [String] {
        metrics.map { #","\#($0.name)":"# }
    }

    /// A bucket number as a date: a day, or an hour of it.
    static func label(_ bucket: Int64, _ interval: StatsInterval) -> String {
        switch interval {
        case .day: return CalendarDay(unixDay: bucket).description
        case .hour:
            let day = CalendarDay(unixDay: bucket >= 0 ? bucket / 24 : (bucket - 23) / 24)
            let hour = bucket - day.unixDay * 24
            return day.description + (hour < 10 ? "T0" : "T") + String(hour) + ":00:00Z"
        }
    }
}
