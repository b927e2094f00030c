import Foundation
import SluiceCore
import SluicePostgres

/// How the retention job and a restore take the `ACCESS EXCLUSIVE` locks that detaching, dropping and
/// attaching a partition need: briefly, and never in front of the loaders for long.
///
/// Each attempt runs in a transaction that first sets `lock_timeout` (``lockTimeout``). A lock request that
/// waits behind a long query would queue every loader's `COPY` behind it; with the timeout the attempt gives
/// up, the transaction rolls back, the `COPY`s go through, and the next attempt comes after a pause
/// (``retryDelays``, doubling), at most ``attempts`` times.
public struct ShortLocks: Sendable {
    public var lockTimeout: Duration = .seconds(1)
    public var attempts = 5
    public var retryDelays: ClosedRange<Duration> = .milliseconds(500) ... .seconds(8)

    public init() {}

    /// SQLSTATE `lock_not_available`.
    static let lockNotAvailable = "55P03"

    /// Runs `body` in a transaction whose locks wait at most ``lockTimeout``, again after a pause when a lock
    /// was not granted. Blocks the calling thread for the pauses.
    ///
    /// - Parameters:
    ///   - what: what the transaction does, for the error (`detach analytics.events_p20260831`).
    ///   - fence: called last in the transaction (the scheduler's lease check).
    /// - Throws: ``RetentionError`` (`.lockTimeout`) after the last attempt timed out; what `body` throws.
    @discardableResult
    public func transaction<T>(
        _ what: String, on connection: PostgresConnection, fence: (PostgresConnection) throws -> Void = { _ in },
        _ body: (PostgresConnection) throws -> T
    ) throws -> T {
        var delay = retryDelays.lowerBound
        var attempt = 1
        while true {
            do {
                return try connection.transaction { connection in
                    try connection.execute("SET LOCAL lock_timeout = '\(lockTimeout.timeoutMilliseconds)ms'")
                    let value = try body(connection)
                    try fence(connection)
                    return value
                }
            } catch let error as PostgresError where error.sqlState == Self.lockNotAvailable && connection.isOpen {
                guard attempt < max(1, attempts) else {
                    throw RetentionError(
                        .lockTimeout,
                        "could not \(what): its lock was not granted within \(lockTimeout) in \(attempts) attempts; "
                            + "a long query or an open transaction holds analytics.events (see pg_locks); try again"
                    )
                }
            }
            Thread.sleep(forTimeInterval: Double(delay.timeoutMilliseconds) / 1000)
            delay = min(delay * 2, retryDelays.upperBound)
            attempt += 1
        }
    }
}
