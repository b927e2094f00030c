import SluicePostgres
import SluiceStore
import Synchronization

/// Read key → project, for the Stats API: each key is checked once against `sluice.projects` (by its
/// SHA-256 hash, as stored) and then answered from memory.
///
/// A known key is checked again after ``lifetime``, so a project's removed key stops working within that
/// time. An unknown key costs one lookup, at most ``lookupsPerSecond`` a second across all callers (beyond
/// that, 503 with `Retry-After: 1`), and is then refused from memory for ``refusalLifetime``: a client
/// hammering with a wrong key cannot turn every request into a query. Strings that cannot be read keys at
/// all (not `rk_…`, a write key) are refused without a lookup.
///
/// Thread safety: any thread; maps behind mutexes held only to read or write them. Lookups run on the
/// query pool.
package final class ReadKeyDirectory: Sendable {
    package static let lifetime: Duration = .seconds(600)
    package static let refusalLifetime: Duration = .seconds(5)
    package static let lookupsPerSecond = 20
    /// Keys remembered at most, each way; the map is emptied when full (the next requests look up again).
    static let capacity = 10_000

    private struct Entry {
        var projectID: Int64?
        var checkedAt: ContinuousClock.Instant
    }

    private let entries = Mutex<[String: Entry]>([:])
    /// The start of the current second of lookups, and how many ran in it.
    private let lookups = Mutex<(since: ContinuousClock.Instant, count: Int)>((.now, 0))

    package init() {}

    /// The project that `readKey` opens.
    ///
    /// - Throws: ``StatsAPIError``: `unauthorized` for a string that is not a project's read key;
    ///   `unavailable` when it must be looked up and the database cannot be reached, or too many unknown
    ///   keys were looked up this second; others from ``StatsQueryPool/run(_:)``.
    package func projectID(readKey: String, pool: StatsQueryPool) async throws(StatsAPIError) -> Int64 {
        guard Self.couldBeReadKey(readKey) else {
            throw StatsAPIError(
                .unauthorized,
                readKey.hasPrefix("wk_")
                    ? "that is a write key; the Stats API takes the project's read key (rk_…)"
                    : "not a read key; send the project's read key (rk_…) as Authorization: Bearer"
            )
        }
        let now = ContinuousClock.now
        if let entry = entries.withLock({ $0[readKey] }) {
            let age = now - entry.checkedAt
            if let id = entry.projectID, age < Self.lifetime { return id }
            if entry.projectID == nil, age < Self.refusalLifetime { throw Self.unknown }
        }
        let allowed = lookups.withLock { window in
            if now - window.since >= .seconds(1) { window = (now, 0) }
            window.count += 1
            return window.count <= Self.lookupsPerSecond
        }
        guard allowed else {
            throw StatsAPIError(.unavailable, "too many unknown read keys at once; retry", retryAfterSeconds: 1)
        }
        let found = try await pool.run { connection in try ProjectStore.project(readKey: readKey, on: connection)?.id }
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll() }
            entries[readKey] = Entry(projectID: found, checkedAt: now)
        }
        guard let found else { throw Self.unknown }
        return found
    }

    private static let unknown = StatsAPIError(.unauthorized, "unknown read key")

    /// Whether `text` has the shape of a read key: `rk_` and 1 to 200 letters and digits.
    static func couldBeReadKey(_ text: String) -> Bool {
        guard text.hasPrefix("rk_") else { return false }
        let body = text.utf8.dropFirst(3)
        return (1...200).contains(body.count)
            && body.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) }
    }
}
