import Foundation

/// Runs blocking or long CPU-bound work (waiting for a child process or for libpq, creating and migrating a
/// database, bucketing 100,000 users in a debug build) on a thread of its own and awaits its result, so that
/// it does not hold one of the threads of Swift's cooperative pool, which every in-process server and every
/// other suite of the test run share and which has only as many threads as the machine has cores.
///
/// `body` runs outside the test's task, so it must not call `#expect`: return what to check.
public func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.name = "sluice-test-off-the-pool"
        thread.start()
    }
}
