/// How much of its time a job may spend working while the process's foreground work (the loader of
/// `sluice serve`) is saturated: the rest it yields, pausing between its units of work.
///
/// The jobs and the loader share the database server's cores. When ingest runs below its capacity there is
/// time to spare and the jobs take it at full speed; when the loader is busy all the time, every second a
/// job's SQL runs is a second of CPU the loader's `COPY` does not get. PostgreSQL's autovacuum answers the same
/// conflict with its cost delay (`autovacuum_vacuum_cost_delay`), RocksDB's compactions with a rate limiter:
/// the background work goes on, slower, and catches up when the foreground eases. Here a job that worked
/// `w` since its last pause pauses `w × (1 − share) / share` before its next unit, for as long as the loader
/// stays saturated, so over a saturated stretch it works about `share` of the time.
///
/// The price is freshness: under a load that keeps the loader saturated, the sessions and rollups trail the
/// events by more than their interval, and catch up once the load falls below what the loader can take.
public struct JobPacing: Sendable, Equatable {
    /// The share of time a job works while the foreground is saturated, in `(0, 1]`; 1 never yields.
    public let busyShare: Double

    /// - Precondition: `busyShare` is in `(0, 1]`.
    public init(busyShare: Double) {
        precondition(busyShare > 0 && busyShare <= 1, "a busy share must be in (0, 1], not \(busyShare)")
        self.busyShare = busyShare
    }

    /// Never yields.
    public static let off = JobPacing(busyShare: 1)

    /// Works a twentieth of the time while the foreground is saturated: the share `sluice serve` uses unless
    /// `--jobs-busy-share` says otherwise.
    public static let standard = JobPacing(busyShare: 0.05)

    /// The share as `init(percent:)` reads it: `5` for 0.05, `12.5` for 0.125, `100` for never yielding.
    public var percent: String {
        // To a millionth of a percent, so that 0.3325 × 100 reads 33.25 and not its nearest double's digits.
        let value = (busyShare * 100 * 1e6).rounded() / 1e6
        return value == value.rounded() ? String(Int(value)) : String(value)
    }

    /// Whether the rule ever pauses.
    public var yields: Bool { busyShare < 1 }

    /// The pause owed after working `work` while the foreground is saturated.
    public func pause(after work: Duration) -> Duration {
        guard yields, work > .zero else { return .zero }
        let (seconds, attoseconds) = work.components
        let nanoseconds = Double(seconds) * 1e9 + Double(attoseconds) / 1e9
        return .nanoseconds(Int64((nanoseconds * (1 - busyShare) / busyShare).rounded()))
    }

    /// Parses a percentage, `1` to `100` (`5`, `12.5`, `100` for never yielding), as `--jobs-busy-share`
    /// takes it.
    /// - Returns: nil for anything else.
    public init?(percent text: String) {
        guard let percent = Double(text), percent.isFinite, percent >= 1, percent <= 100 else { return nil }
        self.init(busyShare: percent / 100)
    }
}
