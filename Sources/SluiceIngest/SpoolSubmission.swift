/// One request's events on their way from a request handler to the spool committer, through the ring.
///
/// The handler encodes the events as binary COPY tuples (the spool's payload format) so the committer only
/// dedupes and copies bytes. `tupleEnds[i]` is where tuple `i` ends in `tuples`; `keys[i]` its dedupe key.
package struct SpoolSubmission: Sendable {
    package var tuples: [UInt8]
    package var tupleEnds: [Int]
    package var keys: [UInt64]
    /// Resumed once the events are durable (`--ack durable`), or with the error if the spool cannot take
    /// them; nil with `--ack memory`, where the handler does not wait. Resumed straight from the committer
    /// thread, without a hop through an event loop.
    package var acknowledgement: Acknowledgement?

    /// How the committer answers a waiting request handler.
    package typealias Acknowledgement = SpoolAcknowledgement

    package init(tuples: [UInt8], tupleEnds: [Int], keys: [UInt64], acknowledgement: Acknowledgement? = nil) {
        precondition(tupleEnds.count == keys.count, "one dedupe key per tuple")
        self.tuples = tuples
        self.tupleEnds = tupleEnds
        self.keys = keys
        self.acknowledgement = acknowledgement
    }
}

/// What the committer did with one submission.
package struct SpoolReceipt: Sendable, Equatable {
    /// Events written to the spool.
    package var stored: Int
    /// Events dropped as duplicates of ones already in the dedupe window.
    package var duplicates: Int

    package init(stored: Int, duplicates: Int) {
        self.stored = stored
        self.duplicates = duplicates
    }
}
