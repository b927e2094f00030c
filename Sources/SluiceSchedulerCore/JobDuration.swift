/// The durations of the scheduler's settings (intervals, lease timeouts): whole seconds, written as a plain
/// number of seconds or with a unit, `90`, `90s`, `15m`, `2h`, `1d`.
public enum JobDuration {
    /// The shortest and the longest duration a setting accepts: one second to a year.
    public static let range: ClosedRange<Duration> = .seconds(1) ... .seconds(366 * 86_400)

    private static let units: [(suffix: Character, seconds: Int64)] = [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)]

    /// Reads `text`; nil when it is not a whole number of seconds, minutes, hours or days inside `range`.
    public static func parse(_ text: some StringProtocol) -> Duration? {
        var digits = Substring(text)
        var unit: Int64 = 1
        if let last = digits.last, let match = units.first(where: { $0.suffix == last }) {
            unit = match.seconds
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let count = Int64(digits), count > 0 else { return nil }
        let (seconds, overflow) = count.multipliedReportingOverflow(by: unit)
        guard !overflow else { return nil }
        let duration = Duration.seconds(seconds)
        return range.contains(duration) ? duration : nil
    }

    /// `duration` in the largest unit that divides it exactly (`1h`, `90s`, `2d`); below a second, in
    /// milliseconds (`1500ms`), for the sub-second values tests use.
    public static func format(_ duration: Duration) -> String {
        let milliseconds = duration.milliseconds
        guard milliseconds % 1000 == 0 else { return "\(milliseconds)ms" }
        let seconds = milliseconds / 1000
        guard seconds != 0 else { return "0s" }
        let unit = units.first { seconds % $0.seconds == 0 }!
        return "\(seconds / unit.seconds)\(unit.suffix)"
    }

    /// What `parse` accepts, for error messages.
    public static let accepted = "whole seconds from 1s to 366d, e.g. 90, 90s, 15m, 2h, 1d"
}

extension Duration {
    /// The duration in whole milliseconds, rounded toward zero.
    public var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }

    /// The duration in whole microseconds, rounded toward zero.
    public var microseconds: Int64 {
        components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000
    }
}
