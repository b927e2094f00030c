/// A failure of the loader that is neither a PostgreSQL error nor a spool error, in one line for a user.
///
/// ``SpoolLoader/run()`` retries after every error; these say why a retry was needed.
package struct LoaderError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure happened.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String { case checkpointMoved, invalidCheckpoint, spoolConflict }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The node's checkpoint row was not where this loader left it: another loader with the same node
        /// id committed meanwhile, or the row was edited. The batch was rolled back; the loader re-reads
        /// the checkpoint and goes on from there.
        package static let checkpointMoved = Code(.checkpointMoved)
        /// The checkpoint row holds values that are not a spool position (negative, or missing).
        package static let invalidCheckpoint = Code(.invalidCheckpoint)
        /// The checkpoint row names another spool than the one being loaded (a wiped spool, or a node id
        /// used for a second spool directory). Nothing is loaded, skipped or deleted; the message says what
        /// the operator can do.
        package static let spoolConflict = Code(.spoolConflict)

        package var description: String {
            switch base {
            case .checkpointMoved: "checkpoint moved"
            case .invalidCheckpoint: "invalid checkpoint"
            case .spoolConflict: "spool identity conflict"
            }
        }
    }

    package var code: Code
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { "\(code): \(message)" }
}
