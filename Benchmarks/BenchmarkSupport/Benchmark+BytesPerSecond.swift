// BenchmarkSupport: what several benchmark targets share.

public import Benchmark

extension BenchmarkMetric {
    /// A custom metric of bytes handled per second, measured around each iteration and shown scaled
    /// (e.g. `(M)` for MB/s).
    public static func bytesPerSecond(_ name: String) -> BenchmarkMetric {
        .custom(name, polarity: .prefersLarger, useScalingFactor: false)
    }
}

extension Benchmark {
    /// Records `bytes` handled in `elapsed` as the bytes-per-second `metric`.
    public func recordBytes(_ bytes: Int, in elapsed: Duration, as metric: BenchmarkMetric) {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        guard seconds > 0 else { return }
        measurement(metric, Int(Double(bytes) / seconds))
    }
}
