extension Timestamp {
    /// The instant as RFC 3339 text in UTC, e.g. `2026-11-23T10:15:30.123456Z`; the fraction is written
    /// (always six digits) only when the instant is not a whole second.
    public var iso8601String: String {
        iso8601(fractionDigits: unixMicroseconds % 1_000_000 == 0 ? 0 : 6)
    }

    /// The instant as RFC 3339 text in UTC with exactly `fractionDigits` (0 to 6) digits of fraction,
    /// truncated, e.g. `2026-11-23T10:15:30.123Z` for 3, as the Segment SDKs write times.
    public func iso8601(fractionDigits: Int) -> String {
        precondition((0...6).contains(fractionDigits), "fractionDigits must be 0 to 6")
        let day = CalendarDay(unixDay: unixDay)
        let ofDay = unixMicroseconds - unixDay * 86_400_000_000
        let seconds = ofDay / 1_000_000
        var text = day.description + "T" + Self.padded(seconds / 3600, 2) + ":" + Self.padded(seconds / 60 % 60, 2)
            + ":" + Self.padded(seconds % 60, 2)
        if fractionDigits > 0 {
            var fraction = ofDay % 1_000_000
            for _ in fractionDigits..<6 { fraction /= 10 }
            text += "." + Self.padded(fraction, fractionDigits)
        }
        return text + "Z"
    }

    private static func padded(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
