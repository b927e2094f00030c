import Foundation

/// Runs blocking or long CPU-bound work (waiting for a child process, bucketing 100,000 users in a debug build) on
/// a thread of its own, so that it does not hold one of the threads of Swift's cooperative pool, which every async
/// test in the process shares and which has only as many threads as the machine has cores.
///
/// `body` runs outside the test's task, so it must not call `#expect`: return what to check.
public enum OwnThread {
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }
}
