import Foundation

/// Runs blocking set-up work (creating and migrating a database, waiting for libpq) on a thread of its own and
/// awaits its result, so it does not hold one of the few cooperative threads that every in-process server and
/// every other suite of the test run share.
func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.name = "sluice-test-setup"
        thread.start()
    }
}
