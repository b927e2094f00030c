import Foundation
import SluiceHangGuard

/// Runs blocking or long CPU-bound work (waiting for a child process or for libpq, creating and migrating a
/// database, bucketing 100,000 users in a debug build) on a thread of its own and awaits its result, so that
/// it does not hold one of the threads of Swift's cooperative pool, which every in-process server and every
/// other suite of the test run share and which has only as many threads as the machine has cores.
///
/// Two tests that each block a pool thread on 2 cores stop the whole test process: no in-process server
/// answers, no other test moves, until a hang guard gives up minutes later. The blocking waits the tests share
/// (`HangGuard.bounded`, `BackgroundProcess.wait`, `SpoolLoader.waitUntilLoaded`) are therefore unavailable
/// from async code, and their async forms come through here.
///
/// `body` runs outside the test's task, so it must not call `#expect`: return what to check.
public func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.name = "sluice-test-off-the-pool"
        thread.start()
    }
}

extension HangGuard {
    /// For an API that blocks while it waits and takes a timeout: calls `waiting` with ``HangGuard/limit`` on a
    /// thread of its own and throws ``Hung`` if it reports that the timeout passed (returns false).
    ///
    /// ```swift
    /// try await HangGuard.bounded("the loader to reach \(end)") { loader.waitUntilLoaded(end, timeout: $0) }
    /// ```
    public static func bounded(_ event: String, _ waiting: @escaping @Sendable (Duration) throws -> Bool)
        async throws
    {
        guard try await offThePool({ try waiting(limit) }) else { throw Hung(event) }
    }
}
