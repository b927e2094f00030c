import DequeModule
import Dispatch
import Foundation
import Logging
import ServiceLifecycle
import SluiceCore
import SluicePostgres
import Synchronization

/// A few PostgreSQL connections, each owned by a thread of its own, that run the Stats API's queries.
///
/// `PostgresConnection` blocks its caller for the whole round trip, so a query must never run on an event
/// loop or on Swift concurrency's cooperative threads: one slow query there would hold up requests that
/// have nothing to do with it, ingest acknowledgements among them. A request task hands its work to this
/// pool and suspends; one of `poolSize` threads runs it on its connection and resumes the task. At most
/// `maxQueued` queries wait for a thread; beyond that a request is answered 503 at once, so a flood of
/// dashboard requests costs memory and threads that are bounded.
///
/// Every connection sets `statement_timeout`. When the database cannot be reached, the attempt's failure
/// opens an outage window of `retryAfter`: queries in it fail at once (503 with `Retry-After`) without
/// trying, and the first query after it tries to connect again, so the pool recovers by itself when the
/// database returns. A connection found broken is reopened once and the (read-only) query run again.
///
/// Thread safety: any thread. The queue sits behind a mutex held only to push or pop; a counting semaphore
/// wakes one thread per queued query.
package final class StatsQueryPool: Service, Sendable {
    private struct Work: Sendable {
        /// Runs the query on the connection and resumes the waiting task; throws what the query threw.
        let run: @Sendable (PostgresConnection) throws -> Void
        /// Resumes the waiting task with an error; called instead of `run`, or after it threw.
        let fail: @Sendable (StatsAPIError) -> Void
    }

    private struct State {
        var queue = Deque<Work>()
        var stopping = false
        /// Until when the database counts as unreachable (no connection attempt before then).
        var outageUntil: ContinuousClock.Instant?
        var lastOutage: String?
    }

    let configuration: StatsAPIConfiguration
    private let logger: Logger
    private let state = Mutex(State())
    private let pending = DispatchSemaphore(value: 0)

    /// Starts the pool's threads; they connect on their first query.
    package init(configuration: StatsAPIConfiguration, logger: Logger) {
        precondition(configuration.poolSize > 0, "the pool has at least one connection")
        self.configuration = configuration
        self.logger = logger
        for number in 0..<configuration.poolSize {
            let thread = Thread { [self] in work() }
            thread.name = "sluice-stats-\(number)"
            thread.start()
        }
    }

    /// Queries waiting for a thread now.
    package var queuedCount: Int { state.withLock { $0.queue.count } }

    /// `Retry-After` for 503s, in whole seconds.
    var retryAfterSeconds: Int { max(1, Int(configuration.retryAfter.components.seconds)) }

    /// Runs `body` on one of the pool's connections and returns its result.
    ///
    /// `body` runs on a pool thread and must only read (it may be run twice when the connection turns out
    /// broken). The caller's task is suspended meanwhile, never blocked.
    ///
    /// - Throws: ``StatsAPIError``: `unavailable` (database unreachable, or the pool stopping),
    ///   `queryTimeout` (past `statement_timeout`), `overloaded` (the queue is full), `internalError` (the
    ///   database refused the statement, or `body` threw something else).
    package func run<T: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws(StatsAPIError) -> T {
        let result: Result<T, StatsAPIError> = await withCheckedContinuation { continuation in
            let work = Work(
                run: { connection in continuation.resume(returning: .success(try body(connection))) },
                fail: { continuation.resume(returning: .failure($0)) }
            )
            if let refusal = enqueue(work) { work.fail(refusal) }
        }
        return try result.get()
    }

    /// Queues `work`, or says why not.
    private func enqueue(_ work: Work) -> StatsAPIError? {
        let refusal: StatsAPIError? = state.withLock { state in
            if state.stopping {
                return StatsAPIError(.unavailable, "the server is stopping", retryAfterSeconds: retryAfterSeconds)
            }
            if let until = state.outageUntil, ContinuousClock.now < until {
                return unavailable(state.lastOutage)
            }
            guard state.queue.count < configuration.maxQueued else {
                return StatsAPIError(
                    .overloaded, "every stats connection is busy and \(configuration.maxQueued) queries wait; retry",
                    retryAfterSeconds: 1
                )
            }
            state.queue.append(work)
            return nil
        }
        if refusal == nil { pending.signal() }
        return refusal
    }

    private func unavailable(_ cause: String?) -> StatsAPIError {
        StatsAPIError(
            .unavailable,
            "the database is unreachable; retry in \(retryAfterSeconds) s" + (cause.map { " (\($0))" } ?? ""),
            retryAfterSeconds: retryAfterSeconds
        )
    }

    /// Until graceful shutdown; then fails what is queued and stops the threads once their queries end.
    package func run() async throws {
        try? await gracefulShutdown()
        stop()
    }

    /// Stops taking queries; queued ones fail with `unavailable`, running ones finish (within the statement
    /// timeout), then the threads exit. Idempotent.
    package func stop() {
        let drained: [Work]? = state.withLock { state in
            guard !state.stopping else { return nil }
            state.stopping = true
            defer { state.queue.removeAll() }
            return Array(state.queue)
        }
        guard let drained else { return }
        for work in drained { work.fail(StatsAPIError(.unavailable, "the server is stopping", retryAfterSeconds: 1)) }
        for _ in 0..<configuration.poolSize { pending.signal() }
    }

    // MARK: - The threads

    private func work() {
        var connection: PostgresConnection?
        while true {
            pending.wait()
            let next: Work?? = state.withLock { state in
                if let work = state.queue.popFirst() { return .some(work) }
                return state.stopping ? .none : .some(nil)
            }
            guard let next else { break }
            guard let work = next else { continue }
            execute(work, on: &connection)
        }
    }

    /// Runs one query, reconnecting first when needed and once more when the connection broke under it.
    private func execute(_ work: Work, on connection: inout PostgresConnection?) {
        for attempt in 1...2 {
            if connection == nil || connection?.isOpen == false {
                connection = nil
                if let refusal = outageRefusal() {
                    work.fail(refusal)
                    return
                }
                do {
                    connection = try open()
                    let recovered = state.withLock { state in
                        defer { state.outageUntil = nil }
                        return state.outageUntil != nil
                    }
                    if recovered { logger.notice("stats queries reach the database again") }
                } catch {
                    work.fail(recordOutage(error))
                    return
                }
            }
            guard let open = connection else { return }
            do {
                try work.run(open)
                return
            } catch let error as PostgresError where error.isConflict && open.isOpen {
                // A lost conflict (a recovery conflict on a standby, a deadlock) is this query's, not an outage:
                // run it once more, then answer 503 without turning other queries away.
                if attempt == 2 {
                    work.fail(
                        StatsAPIError(
                            .unavailable, "the query lost a conflict with another transaction; retry",
                            retryAfterSeconds: 1
                        )
                    )
                }
            } catch let error as PostgresError where error.isTransient || !open.isOpen {
                // A broken connection (the server restarted, the backend was terminated): reopen and run again.
                connection = nil
                if attempt == 2 { work.fail(recordOutage(error)) }
            } catch let error as PostgresError where error.sqlState == "57014" {
                work.fail(
                    StatsAPIError(
                        .queryTimeout,
                        "the query ran past the statement timeout (\(configuration.statementTimeout)); "
                            + "narrow the range or the filters",
                        retryAfterSeconds: retryAfterSeconds
                    )
                )
                return
            } catch {
                logger.error("a stats query failed", metadata: ["error": "\(error)"])
                work.fail(StatsAPIError(.internalError, "the query failed: \(error)"))
                return
            }
        }
    }

    /// A connection with the statement timeout set.
    private func open() throws -> PostgresConnection {
        let connection = try PostgresConnection(configuration.connectionString)
        try connection.execute("SET statement_timeout = \(configuration.statementTimeout.timeoutMilliseconds)")
        try connection.execute("SET application_name = 'sluice-stats'")
        return connection
    }

    private func outageRefusal() -> StatsAPIError? {
        state.withLock { state in
            guard let until = state.outageUntil, ContinuousClock.now < until else { return nil }
            return unavailable(state.lastOutage)
        }
    }

    private func recordOutage(_ error: any Error) -> StatsAPIError {
        let message = (error as? PostgresError)?.message ?? "\(error)"
        let first = state.withLock { state in
            let first = state.outageUntil == nil
            state.outageUntil = .now + configuration.retryAfter
            state.lastOutage = message
            return first
        }
        if first {
            logger.warning("stats queries cannot reach the database; answering 503", metadata: ["error": "\(message)"])
        }
        return unavailable(message)
    }
}
