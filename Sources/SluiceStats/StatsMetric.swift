/// A metric of the Stats API, by its Plausible name.
package enum StatsMetric: String, Sendable, CaseIterable {
    case visitors
    case visits
    case pageviews
    case events
    case bounceRate = "bounce_rate"
    case visitDuration = "visit_duration"
    case viewsPerVisit = "views_per_visit"
    /// Breakdown by `event` only: visitors who sent that event ÷ all visitors of the range, in percent.
    case conversionRate = "conversion_rate"

    /// The name in parameters and answers.
    package var name: String { rawValue }

    /// Whether it is counted over visits (by the hour or day a visit started) rather than over events.
    package var countsVisits: Bool {
        switch self {
        case .visits, .bounceRate, .visitDuration, .viewsPerVisit: true
        case .visitors, .pageviews, .events, .conversionRate: false
        }
    }
}
