import Foundation
import SluiceCore

/// Timing and the figures the benchmarks print.
enum BenchFigures {
    /// Seconds `body` took.
    static func time(_ body: () throws -> Void) throws -> Double {
        let start = ContinuousClock.now
        try body()
        return seconds(ContinuousClock.now - start)
    }

    static func seconds(_ duration: Duration) -> Double { duration.inSeconds }

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    /// The value at `fraction` (0...1) of the sorted `values`, by the nearest-rank method; 0 for none.
    static func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))]
    }

    static func rate(_ count: Int, _ seconds: Double) -> String {
        "\(format(Double(count) / seconds)) rows/s (\(String(format: "%.2f", seconds)) s)"
    }

    static func format(_ value: Double) -> String {
        value >= 1000 ? String(format: "%.1fk", value / 1000) : String(format: "%.1f", value)
    }

    static func megabytes(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / 1e6) }
}
