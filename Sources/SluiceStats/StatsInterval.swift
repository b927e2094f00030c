/// The buckets of a timeseries: UTC days or UTC hours.
package enum StatsInterval: String, Sendable, CaseIterable {
    case day
    case hour

    /// The longest range, in days, a timeseries may cover at this interval: every bucket is a row of the
    /// answer, so hours are kept to about three months (2,208 rows).
    package var maximumDays: Int {
        switch self {
        case .day: StatsRange.maximumDays
        case .hour: 92
        }
    }

    /// Seconds in one bucket.
    package var seconds: Int64 {
        switch self {
        case .day: 86_400
        case .hour: 3_600
        }
    }
}
