import SluiceCore

/// One SQL statement with its `$n` parameters (text form; the SQL casts them), ready for
/// `PostgresConnection.query`.
///
/// Every statement of a plan returns the same columns: a text key (see ``StatsRow``), then the seven
/// ``StatsMeasures`` as bigint, in their order.
package struct StatsStatement: Sendable, Equatable {
    package var sql: String
    package var parameters: [String?]
    /// Whether the statement is run prepared (`PostgresConnection.reusingPlan`): parsed once per connection,
    /// and planned once where PostgreSQL finds a generic plan as cheap as those for the values (the
    /// timeseries keep one; the breakdowns, whose values the planner still costs, are planned each time).
    /// The reads of the rollups only. Not the reads of `analytics.events` (the raw path and `realtime`):
    /// their plans are pruned to a few daily partitions by the values of their bounds, which a generic plan
    /// does not know.
    package var reusesPlan: Bool

    package init(sql: String, parameters: [String?], reusesPlan: Bool = true) {
        self.sql = sql
        self.parameters = parameters
        self.reusesPlan = reusesPlan
    }
}

/// Collects the parameters of a statement being written, handing out their `$n` placeholders.
struct StatementParameters {
    private(set) var values: [String?] = []

    /// Appends `value` and returns its placeholder with `cast` (e.g. `$3::date`).
    mutating func bind(_ value: String, as cast: String) -> String {
        values.append(value)
        return "$\(values.count)::\(cast)"
    }

    /// Binds `values` as a `text[]`.
    mutating func bind(array values: [String]) -> String {
        bind(Self.arrayLiteral(values), as: "text[]")
    }

    /// A PostgreSQL array literal of text elements: each quoted, with `"` and `\` escaped.
    static func arrayLiteral(_ values: [String]) -> String {
        var text = "{"
        for (index, value) in values.enumerated() {
            if index > 0 { text += "," }
            text += "\""
            for scalar in value.unicodeScalars {
                if scalar == "\"" || scalar == "\\" { text += "\\" }
                text.unicodeScalars.append(scalar)
            }
            text += "\""
        }
        return text + "}"
    }

    /// A UTC instant as PostgreSQL reads a `timestamptz`.
    static func instant(_ timestamp: Timestamp) -> String {
        let day = CalendarDay(timestamp)
        let seconds = timestamp.unixMicroseconds / 1_000_000 - day.unixDay * 86_400
        let hour = seconds / 3600
        return "\(day)T\(hour < 10 ? "0" : "")\(hour):00:00Z"
    }
}

extension StatsFilter {
    /// The SQL condition that `expression` (a shown value: NULL already turned into `(none)`) meets this
    /// filter.
    func condition(_ expression: String, _ parameters: inout StatementParameters) -> String {
        let values = parameters.bind(array: self.values)
        switch self.operator {
        case .is: return "\(expression) = ANY(\(values))"
        case .isNot: return "\(expression) <> ALL(\(values))"
        }
    }
}

/// `coalesce(expression, '(none)')`: a dimension's shown value.
func shown(_ expression: String) -> String {
    "coalesce(\(expression), '\(StatsProperty.none)')"
}
