import Synchronization

/// A request handler's wait for its events to become durable (`--ack durable`), answered exactly once: by the
/// committer after the group's fsync (or with the spool's error), or by the shutdown deadline if the committer
/// has not answered by then.
///
/// The committer calls ``resume(returning:)`` from its thread; the handler awaits ``result(until:)``. Whichever
/// resumes first wins and later calls are ignored, which is what lets the deadline abandon a wait behind an
/// fsync that never returns (a hung disk) without racing the committer: the handler answers 503, its
/// connection and task end, and the server can finish shutting down. A handler that gave up never reports the
/// events as stored; if the sync does complete later they are in the spool, and a client's retry is caught by
/// the dedupe window.
package final class SpoolAcknowledgement: Sendable {
    private enum State {
        case pending
        case waiting(CheckedContinuation<Result<SpoolReceipt, IngestError>, Never>)
        case answered(Result<SpoolReceipt, IngestError>)
        case delivered
    }

    private let state = Mutex(State.pending)

    package init() {}

    /// Answers the wait; only the first call counts.
    package func resume(returning result: Result<SpoolReceipt, IngestError>) {
        let continuation: CheckedContinuation<Result<SpoolReceipt, IngestError>, Never>? = state.withLock { state in
            switch state {
            case .pending:
                state = .answered(result)
                return nil
            case .waiting(let continuation):
                state = .delivered
                return continuation
            case .answered, .delivered:
                return nil
            }
        }
        continuation?.resume(returning: result)
    }

    /// The committer's answer, or a 503 if `shutdown`'s deadline passes first.
    package func result(until shutdown: ShutdownDeadline) async -> Result<SpoolReceipt, IngestError> {
        shutdown.abandonAtDeadline(self)
        defer { shutdown.forget(self) }
        return await withCheckedContinuation { continuation in
            let ready: Result<SpoolReceipt, IngestError>? = state.withLock { state in
                switch state {
                case .pending:
                    state = .waiting(continuation)
                    return nil
                case .answered(let result):
                    state = .delivered
                    return result
                case .waiting, .delivered:
                    preconditionFailure("an acknowledgement is awaited once")
                }
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// The answer the shutdown deadline gives a wait still open at it.
    static let abandoned = IngestError(
        .overloaded, "the server is shutting down and the spool did not confirm these events in time; retry"
    )
}
