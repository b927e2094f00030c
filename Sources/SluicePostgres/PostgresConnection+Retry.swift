#if canImport(Glibc)
import Glibc
#endif

/// How long and how often to try again when PostgreSQL is unreachable: exponential backoff with jitter,
/// capped per wait and in total.
public struct RetryPolicy: Sendable {
    /// The first wait, in seconds.
    public var initialDelay: Double
    /// The longest single wait, in seconds.
    public var maximumDelay: Double
    /// Give up once this many seconds have passed since the first attempt; nil tries forever.
    public var deadline: Double?

    public init(initialDelay: Double = 0.1, maximumDelay: Double = 5, deadline: Double? = 30) {
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.deadline = deadline
    }

    /// Tries once only.
    public static let never = RetryPolicy(initialDelay: 0, maximumDelay: 0, deadline: 0)

    /// The wait before attempt `attempt` (1 is the first retry): doubling, capped, with ±20 % jitter so
    /// many clients do not reconnect in lockstep after an outage.
    public func delay(beforeAttempt attempt: Int) -> Double {
        let base = min(maximumDelay, initialDelay * Double(1 << min(attempt - 1, 30)))
        return base * Double.random(in: 0.8...1.2)
    }
}

extension PostgresConnection {
    /// Connects, retrying transient failures (server down, starting up, shutting down) with backoff.
    ///
    /// - Parameter onRetry: told of each failed attempt and the wait before the next, for logging.
    /// - Throws: the last `PostgresError` once the policy's deadline has passed, or at once for an error that
    ///   retrying cannot fix (a bad password, an unknown database, a malformed connection string).
    public static func connect(
        _ connectionString: String, retry policy: RetryPolicy = RetryPolicy(),
        onRetry: (PostgresError, Double) -> Void = { _, _ in }
    ) throws(PostgresError) -> PostgresConnection {
        let start = monotonicSeconds()
        var attempt = 0
        while true {
            do {
                return try PostgresConnection(connectionString)
            } catch {
                attempt += 1
                let wait = policy.delay(beforeAttempt: attempt)
                let elapsed = monotonicSeconds() - start
                let remaining = policy.deadline.map { $0 - elapsed } ?? .infinity
                guard error.isRetryableConnect, remaining > wait else { throw error }
                onRetry(error, wait)
                sleep(seconds: wait)
            }
        }
    }

    /// Runs `body`, and when it fails because the connection broke, reconnects (with `policy`) and runs it
    /// again. `body` must be safe to repeat: a whole transaction, never half of one.
    public func withReconnect<T>(
        retry policy: RetryPolicy = RetryPolicy(), _ body: (PostgresConnection) throws -> T
    ) throws -> T {
        let start = PostgresConnection.monotonicSeconds()
        var attempt = 0
        while true {
            do {
                if !isOpen { try reset() }
                return try body(self)
            } catch let error as PostgresError where error.isTransient {
                attempt += 1
                let wait = policy.delay(beforeAttempt: attempt)
                if let deadline = policy.deadline, PostgresConnection.monotonicSeconds() - start + wait > deadline {
                    throw error
                }
                PostgresConnection.sleep(seconds: wait)
            }
        }
    }

    static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    static func sleep(seconds: Double) {
        guard seconds > 0 else { return }
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}

extension PostgresError {
    /// Whether a failed connection attempt is worth repeating: the server is down, starting, or refusing for
    /// now; not a wrong password, an unknown database or role, or a malformed connection string.
    public var isRetryableConnect: Bool {
        guard code == .connection else { return isTransient }
        let permanent = [
            "password authentication failed", "does not exist", "invalid connection option", "invalid URI",
            "missing \"=\"", "no pg_hba.conf entry", "invalid port number", "invalid integer value",
            "could not translate host name",
        ]
        return !permanent.contains { message.contains($0) }
    }
}
