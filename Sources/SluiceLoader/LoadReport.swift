import SluiceSpool

/// What one ``SpoolLoader/loadAvailable()`` committed.
package struct LoadReport: Sendable, Equatable {
    /// Rows copied into `analytics.events`.
    package var rows: Int
    /// Spool records covered by the transaction; 0 when the spool had nothing new.
    package var records: Int
    /// Rows (or undecodable record tails) stored in `sluice.dead_letters` instead.
    package var deadLetters: Int
    /// The committed checkpoint after the call.
    package var position: SpoolPosition
    /// Events left out because they were already stored (``DuplicateFilter``).
    package var duplicatesDropped: Int

    package init(rows: Int, records: Int, deadLetters: Int, position: SpoolPosition, duplicatesDropped: Int = 0) {
        self.rows = rows
        self.records = records
        self.deadLetters = deadLetters
        self.position = position
        self.duplicatesDropped = duplicatesDropped
    }
}
