extension Duration {
    /// The duration in seconds, for arithmetic and APIs that take a `Double` (`TimeInterval`).
    public var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// The duration in whole milliseconds, at least 1, as PostgreSQL's `lock_timeout` and `statement_timeout`
    /// take it (0 would turn the timeout off, the opposite of a short one). Saturates instead of overflowing.
    public var timeoutMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        return overflow ? .max : max(1, whole + attoseconds / 1_000_000_000_000_000)
    }
}
