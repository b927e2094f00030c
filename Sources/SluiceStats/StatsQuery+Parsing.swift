import SluiceCore

extension StatsQuery {
    /// Validates the query parameters of a request to `endpoint`.
    ///
    /// - `from`, `to`: `YYYY-MM-DD`, UTC, both included; `to` defaults to `today`, `from` to 29 days before
    ///   `to`; `from` after `to`, or more than five years in all, is refused.
    /// - `metrics`: comma-separated ``StatsMetric`` names, default `visitors`; `conversion_rate` only on a
    ///   breakdown by `event`.
    /// - `filters`: ``StatsFilter/parse(_:)``.
    /// - `interval` (timeseries): `day` (also Plausible's `date`) or `hour` (at most 92 days).
    /// - `property` (breakdown, required): ``StatsProperty/init(parameter:)``.
    /// - `limit` (breakdown): 1 to 10,000, default 100.
    /// - `site_id`: accepted for Plausible's clients and ignored: the read key names the project.
    ///
    /// - Parameter parameters: the query string's pairs, percent-decoded, in order.
    /// - Throws: ``StatsError`` naming the first parameter at fault (unknown, repeated, missing, invalid).
    package init(
        endpoint: StatsEndpoint, parameters: [(name: String, value: String)], today: CalendarDay
    ) throws(StatsError) {
        var values: [String: String] = [:]
        for (name, value) in parameters {
            guard endpoint.parameters.contains(name) else {
                throw StatsError(
                    .unknownParameter, parameter: name,
                    "\(endpoint.path) takes no such parameter; it takes \(endpoint.parameters.joined(separator: ", "))"
                )
            }
            guard values.updateValue(value, forKey: name) == nil else {
                throw StatsError(.repeatedParameter, parameter: name, "given more than once")
            }
        }

        let to = try values["to"].map { text throws(StatsError) in try Self.day(text, parameter: "to") } ?? today
        let from =
            try values["from"].map { text throws(StatsError) in try Self.day(text, parameter: "from") }
            ?? to.adding(days: -(Self.defaultDays - 1))
        guard from <= to else {
            throw StatsError(.invalidParameter, parameter: "from", "\(from) is after to (\(to))")
        }
        let range = StatsRange(from: from, to: to)
        guard range.days <= StatsRange.maximumDays else {
            throw StatsError(
                .invalidParameter, parameter: "from",
                "the range from \(from) to \(to) is \(range.days) days; at most five years "
                    + "(\(StatsRange.maximumDays) days)"
            )
        }

        var interval = StatsInterval.day
        if let text = values["interval"] {
            guard let parsed = text == "date" ? .day : StatsInterval(rawValue: text) else {
                throw StatsError(.invalidParameter, parameter: "interval", "day or hour, not '\(text)'")
            }
            interval = parsed
        }
        guard range.days <= interval.maximumDays else {
            throw StatsError(
                .invalidParameter, parameter: "interval",
                "an \(interval.rawValue)ly timeseries covers at most \(interval.maximumDays) days, not \(range.days)"
            )
        }

        var property: StatsProperty?
        if endpoint == .breakdown {
            guard let text = values["property"] else {
                throw StatsError(
                    .missingParameter, parameter: "property",
                    "a breakdown needs property, one of \(StatsProperty.allCases.map(\.name).joined(separator: ", "))"
                )
            }
            guard let parsed = StatsProperty(parameter: text) else {
                throw StatsError(
                    .invalidParameter, parameter: "property",
                    "unknown property '\(text)'; use one of "
                        + StatsProperty.allCases.map(\.name).joined(separator: ", ")
                )
            }
            property = parsed
        }

        var limit = Self.defaultLimit
        if let text = values["limit"] {
            guard let parsed = Int(text), Self.limits.contains(parsed), text.allSatisfy(\.isASCIIDigit) else {
                throw StatsError(
                    .invalidParameter, parameter: "limit",
                    "a whole number from \(Self.limits.lowerBound) to 10,000, not '\(text)'"
                )
            }
            limit = parsed
        }

        let metrics = try Self.metrics(values["metrics"], property: property)
        let filters = try StatsFilter.parse(values["filters"] ?? "")
        self.init(
            endpoint: endpoint, range: range, metrics: metrics, filters: filters, interval: interval,
            property: property, limit: limit
        )
    }

    private static func day(_ text: String, parameter: String) throws(StatsError) -> CalendarDay {
        guard text.utf8.count == 10, text.allSatisfy({ $0.isASCIIDigit || $0 == "-" }),
            let day = CalendarDay(text), day.description == text
        else {
            throw StatsError(
                .invalidParameter, parameter: parameter, "a date as YYYY-MM-DD (UTC), not '\(text)'"
            )
        }
        return day
    }

    private static func metrics(_ text: String?, property: StatsProperty?) throws(StatsError) -> [StatsMetric] {
        guard let text else { return [.visitors] }
        var metrics: [StatsMetric] = []
        for name in text.split(separator: ",", omittingEmptySubsequences: false) {
            let name = String(name).trimmingWhitespace
            guard let metric = StatsMetric(rawValue: name) else {
                let known = StatsMetric.allCases.map(\.name).joined(separator: ", ")
                throw StatsError(
                    .invalidParameter, parameter: "metrics",
                    name.isEmpty ? "an empty name; use \(known)" : "unknown metric '\(name)'; use \(known)"
                )
            }
            if metric == .conversionRate && property != .event {
                throw StatsError(
                    .invalidParameter, parameter: "metrics", "conversion_rate is only for a breakdown by property=event"
                )
            }
            if !metrics.contains(metric) { metrics.append(metric) }
        }
        return metrics
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
