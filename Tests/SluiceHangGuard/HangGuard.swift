// SluiceHangGuard: how a test waits for an event without betting on how long it takes.

import Foundation

/// The one place tests put a time limit: a generous bound after which the code under test is declared hung.
///
/// Tests wait on the event itself (a condition, a log line, a metric value, a row), never on a duration.
/// The bound only turns a hang into a failure instead of a stuck CI job, so it is minutes, far beyond any
/// slow machine, and its failure says "hung", never "slow". Speed is measured by the benchmarks.
///
/// `scripts/check-tests.sh` rejects time limits written anywhere else in `Tests/`.
public enum HangGuard {
    /// How long a test waits for one event before it declares a hang: 5 minutes.
    public static let limit: Duration = .seconds(300)

    /// ``limit`` in seconds, for APIs that take a `TimeInterval` or a `DispatchTime` offset.
    public static var limitInSeconds: Double { limit.seconds }

    /// How often ``wait(for:until:)`` looks at its condition.
    public static let pollInterval: Duration = .milliseconds(20)

    /// Returns once `condition` holds; polls it every ``pollInterval``.
    ///
    /// - Parameter event: what is awaited, for the failure message ("the loader to reach 0:120").
    /// - Throws: ``Hung`` when `condition` still does not hold after ``limit``; whatever `condition` throws.
    @available(*, noasync, message: "use the async wait(for:until:), which does not block a cooperative thread")
    public static func wait(for event: String, until condition: () throws -> Bool) throws {
        let deadline = ContinuousClock.now + limit
        while try !condition() {
            guard ContinuousClock.now < deadline else { throw Hung(event) }
            Thread.sleep(forTimeInterval: pollInterval.seconds)
        }
    }

    /// Returns once `condition` holds; polls it every ``pollInterval`` without blocking a thread.
    ///
    /// - Throws: ``Hung`` when `condition` still does not hold after ``limit``; whatever `condition` throws.
    public static func wait(for event: String, until condition: () throws -> Bool) async throws {
        try await wait(for: event) { () async throws -> Bool in try condition() }
    }

    /// Returns once `condition` holds; polls it every ``pollInterval`` without blocking a thread.
    ///
    /// - Throws: ``Hung`` when `condition` still does not hold after ``limit``; whatever `condition` throws.
    public static func wait(for event: String, until condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + limit
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw Hung(event) }
            try await Task.sleep(for: pollInterval)
        }
    }

    /// For an API that waits itself and takes a timeout: calls `waiting` with ``limit`` and throws ``Hung`` if it
    /// reports that the timeout passed (returns false).
    ///
    /// ```swift
    /// try HangGuard.bounded("the loader to reach \(end)") { loader.waitUntilLoaded(end, timeout: $0) }
    /// ```
    @available(*, noasync, message: "use the async bounded(_:_:) of SluiceTestSupport, which waits on a thread of its own")
    public static func bounded(_ event: String, _ waiting: (Duration) throws -> Bool) throws {
        guard try waiting(limit) else { throw Hung(event) }
    }

    /// Watches a loop that should keep making progress (a consumer draining a queue): ``hung`` becomes true once
    /// ``limit`` passes without a call to ``progressed()``.
    ///
    /// Not thread-safe: one thread owns it.
    public struct Progress {
        private var last = ContinuousClock.now

        public init() {}

        /// Records progress (an item taken, a row seen).
        public mutating func progressed() {
            last = ContinuousClock.now
        }

        /// Whether ``limit`` has passed since the last progress: the loop should stop and report a hang.
        public var hung: Bool { ContinuousClock.now - last >= limit }
    }
}

/// The code under test did not produce an awaited event within ``HangGuard/limit``.
public struct Hung: Error, CustomStringConvertible {
    /// What was awaited.
    public let event: String

    public init(_ event: String) {
        self.event = event
    }

    public var description: String {
        "hung: \(event) did not happen within \(HangGuard.limit) (a hang guard, not a speed limit)"
    }
}

extension Duration {
    /// The duration in seconds, for Foundation APIs that take a `TimeInterval`.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
