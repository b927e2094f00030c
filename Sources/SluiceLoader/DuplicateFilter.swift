import SluiceCore
import SluiceSpool

/// Tuples the loader drops from the spool records before a position: events accepted while the ingest
/// dedupe window did not yet hold the ids already in the database (a start during a PostgreSQL outage), and
/// found there once it did.
///
/// Records that end at or before ``end`` are filtered, later ones are loaded as they are: from ``end`` on,
/// every event was checked against the complete window before it was acknowledged. The loader forgets the
/// filter once its checkpoint has passed ``end``.
package struct DuplicateFilter: Sendable {
    /// The spool position up to which records are filtered.
    package var end: SpoolPosition
    /// Whether a tuple is a duplicate of a row already stored. Called on the loader's thread.
    package var isDuplicate: @Sendable (CopyTuples.Tuple) -> Bool

    package init(end: SpoolPosition, isDuplicate: @escaping @Sendable (CopyTuples.Tuple) -> Bool) {
        self.end = end
        self.isDuplicate = isDuplicate
    }

    /// Whether the record ending at `recordEnd` is one this filter applies to.
    func applies(toRecordEndingAt recordEnd: SpoolPosition) -> Bool { recordEnd <= end }

    /// `payload` without its duplicate tuples, and how many were dropped.
    ///
    /// Bytes from a malformed tuple on are kept as they are, so the loader stores them as a dead letter just
    /// as it would have unfiltered.
    package func filtered(_ payload: [UInt8]) -> (payload: [UInt8], dropped: Int) {
        var tuples = CopyTuples(payload)
        var kept: [UInt8] = []
        var dropped = 0
        while true {
            let tuple: CopyTuples.Tuple
            do {
                guard let next = try tuples.next() else { break }
                tuple = next
            } catch {
                kept.append(contentsOf: payload[error.offset...])
                break
            }
            if isDuplicate(tuple) {
                dropped += 1
            } else {
                kept.append(contentsOf: tuple.slice)
            }
        }
        return dropped == 0 ? (payload, 0) : (kept, dropped)
    }
}
