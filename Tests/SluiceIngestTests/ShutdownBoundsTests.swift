import Dispatch
import SluiceHangGuard
import Synchronization
import Testing

@testable import SluiceIngest

/// The bounded waits of a shutdown, each with the thing it waits for held for ever (a committer that never
/// answers, a thread that never returns), as an fsync on a hung disk would hold it.
@Suite struct ShutdownBoundsTests {
    /// Awaits `body` on its own task and returns its value, failing (not hanging) if it takes minutes.
    static func within<T: Sendable>(
        _ what: String, _ body: @escaping @Sendable () async -> T
    ) async throws -> T {
        let box = Mutex<T?>(nil)
        let task = Task {
            let value = await body()
            box.withLock { $0 = value }
        }
        do {
            try await HangGuard.wait(for: what) { box.withLock { $0 } != nil }
        } catch {
            task.cancel()
            throw error
        }
        return box.withLock { $0 }!
    }

    @Test func theFirstAnswerWins() async throws {
        let shutdown = ShutdownDeadline(allowance: .seconds(3600))
        let answered = SpoolAcknowledgement()
        answered.resume(returning: .success(SpoolReceipt(stored: 3, duplicates: 1)))
        answered.resume(returning: .failure(IngestError(.spoolFailed, "too late")))
        #expect(try await answered.result(until: shutdown).get() == SpoolReceipt(stored: 3, duplicates: 1))
    }

    @Test func aWaitTheCommitterNeverAnswersEndsAtTheDeadline() async throws {
        let shutdown = ShutdownDeadline(allowance: .milliseconds(300))
        let acknowledgement = SpoolAcknowledgement()
        let waiting = Task { await acknowledgement.result(until: shutdown) }
        shutdown.begin()
        let result = try await Self.within("a wait past the shutdown deadline") { await waiting.value }
        guard case .failure(let error) = result else {
            Issue.record("the abandoned wait reported success")
            return
        }
        #expect(error.code == .overloaded)
        #expect(error.retryAfterSeconds == 1)
        // The committer answering afterwards (its fsync finally returned) is ignored, not a second resume.
        acknowledgement.resume(returning: .success(SpoolReceipt(stored: 1, duplicates: 0)))
    }

    @Test func aWaitThatStartsAfterTheDeadlineEndsAtOnce() async throws {
        let shutdown = ShutdownDeadline(allowance: .milliseconds(1))
        shutdown.begin()
        let deadline = try #require(shutdown.deadline)
        try await HangGuard.wait(for: "the shutdown deadline to pass") { ContinuousClock.now >= deadline }
        let result = try await Self.within("a wait begun after the deadline") {
            await SpoolAcknowledgement().result(until: shutdown)
        }
        #expect((try? result.get()) == nil)
    }

    @Test func theDeadlineIsFixedByTheFirstCaller() {
        let shutdown = ShutdownDeadline(allowance: .seconds(30))
        #expect(shutdown.deadline == nil)
        let first = shutdown.begin()
        #expect(shutdown.begin() == first)
        #expect(shutdown.deadline == first)
    }

    @Test func aBlockedThreadIsWaitedForOnlyUntilTheDeadline() async throws {
        let never = DispatchSemaphore(value: 0)
        let gaveUp = try await Self.within("the pipeline's wait for a blocked thread") {
            let deadline = ContinuousClock.now + .milliseconds(200)  // allow-timing: the deadline under test
            return await IngestPipeline.wait(for: never, until: deadline)
        }
        #expect(gaveUp == false)
        let signalled = DispatchSemaphore(value: 0)
        signalled.signal()
        #expect(
            await IngestPipeline.wait(for: signalled, until: .now + HangGuard.limit),
            "hung: a signalled semaphore was not seen within the hang guard"
        )
    }
}
