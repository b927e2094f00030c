/// The sums a query reads for one row of an answer (the whole range, a bucket, a breakdown value), from which
/// every metric follows. All counts; `durationMicroseconds` summed over visits, so the mean is exact.
package struct StatsMeasures: Sendable, Equatable {
    /// Distinct people (a sketch's cardinality, rounded, on the rollup path; exact on the raw path).
    package var visitors: Int64 = 0
    package var pageviews: Int64 = 0
    package var events: Int64 = 0
    package var visits: Int64 = 0
    package var bounces: Int64 = 0
    package var durationMicroseconds: Int64 = 0
    /// The pageviews of the counted visits (for views_per_visit, which counts by visit like visits).
    package var visitPageviews: Int64 = 0

    package init(
        visitors: Int64 = 0, pageviews: Int64 = 0, events: Int64 = 0, visits: Int64 = 0, bounces: Int64 = 0,
        durationMicroseconds: Int64 = 0, visitPageviews: Int64 = 0
    ) {
        self.visitors = visitors
        self.pageviews = pageviews
        self.events = events
        self.visits = visits
        self.bounces = bounces
        self.durationMicroseconds = durationMicroseconds
        self.visitPageviews = visitPageviews
    }

    /// The number of columns a statement returns after its key: the measures in the order of the stored
    /// properties above.
    package static let columnCount = 7

    /// The value of `metric`, rounded as the API shows it (half away from zero).
    ///
    /// - Parameter totalVisitors: for `conversion_rate`, the visitors it is a share of; 0 gives 0.
    package func value(_ metric: StatsMetric, totalVisitors: Int64 = 0) -> StatsNumber {
        switch metric {
        case .visitors: .integer(visitors)
        case .visits: .integer(visits)
        case .pageviews: .integer(pageviews)
        case .events: .integer(events)
        case .bounceRate: .integer(Self.rounded(100 * Int128(bounces), Int128(visits)))
        case .visitDuration: .integer(Self.rounded(Int128(durationMicroseconds), 1_000_000 * Int128(visits)))
        case .viewsPerVisit: .hundredths(Self.rounded(100 * Int128(visitPageviews), Int128(visits)))
        case .conversionRate: .hundredths(Self.rounded(10_000 * Int128(visitors), Int128(totalVisitors)))
        }
    }

    /// `numerator / denominator` rounded half away from zero, for non-negative numbers; 0 when the
    /// denominator is 0.
    static func rounded(_ numerator: Int128, _ denominator: Int128) -> Int64 {
        guard denominator > 0, numerator >= 0 else { return 0 }
        return Int64((2 * numerator + denominator) / (2 * denominator))
    }
}

/// A metric's value as the API prints it.
package enum StatsNumber: Sendable, Equatable, CustomStringConvertible {
    case integer(Int64)
    /// A number with two decimals, as a count of hundredths.
    case hundredths(Int64)

    /// JSON number text: `12`, `2.5`, `0.07` (trailing zeros dropped).
    package var description: String {
        switch self {
        case .integer(let value): return String(value)
        case .hundredths(let value):
            let whole = String(value / 100)
            let fraction = value % 100
            if fraction == 0 { return whole }
            return fraction % 10 == 0 ? "\(whole).\(fraction / 10)" : "\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
        }
    }
}

/// One row a statement returned: its key (empty for an aggregate, a bucket number for a timeseries, the
/// property's value for a breakdown) and its measures.
package struct StatsRow: Sendable, Equatable {
    package var key: String
    package var measures: StatsMeasures

    package init(key: String, measures: StatsMeasures) {
        self.key = key
        self.measures = measures
    }
}
