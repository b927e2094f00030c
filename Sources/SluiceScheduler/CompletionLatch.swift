import Foundation

/// Lets async code wait, with a deadline, for something a plain thread signals once, without blocking a
/// thread of the cooperative pool.
///
/// `lock` guards `completed` and `waiter`; whichever of `complete()` and the deadline comes first resumes the
/// waiter, exactly once.
final class CompletionLatch: @unchecked Sendable {
    private let lock = NSLock()
    private var completed = false
    private var waiter: CheckedContinuation<Bool, Never>?

    /// Marks the work done and wakes the waiter, if any.
    func complete() {
        lock.lock()
        completed = true
        let waiting = waiter
        waiter = nil
        lock.unlock()
        waiting?.resume(returning: true)
    }

    /// Waits until `complete()` or until `timeout` has passed.
    /// - Returns: whether the work completed (false: the deadline came first).
    func wait(timeout: Duration) async -> Bool {
        await withCheckedContinuation { continuation in
            lock.lock()
            if completed {
                lock.unlock()
                continuation.resume(returning: true)
                return
            }
            waiter = continuation
            lock.unlock()
            let seconds = Double(timeout.milliseconds) / 1000
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in
                lock.lock()
                let waiting = waiter
                waiter = nil
                lock.unlock()
                waiting?.resume(returning: false)
            }
        }
    }
}
