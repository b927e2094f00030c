import SluiceCore
import SluicePostgres
import SluiceSpool
import SluiceStore

extension SpoolLoader {
    /// What one load transaction committed.
    struct CommitOutcome {
        /// Rows copied into `analytics.events`.
        var rows: Int
        /// What went to `sluice.dead_letters`.
        var deadLetters: [DeadLetter]
    }

    /// `COPY analytics.events (EventRow.columns…) FROM STDIN (FORMAT binary)`.
    static let copyStatement: String = {
        let columns = EventRow.columns.map { "\"\($0)\"" }.joined(separator: ", ")
        return "COPY analytics.events (\(columns)) FROM STDIN (FORMAT binary)"
    }()

    /// Copies `batch` (sealed) into `analytics.events` and moves the checkpoint from its start to its end,
    /// in one transaction.
    ///
    /// The batch goes first as one `COPY`. If PostgreSQL refuses a row of it, the transaction is rolled back
    /// and run again, this time copying halves under savepoints down to the failing rows, which become dead
    /// letters. A refusal for want of a partition (23514) first makes the partitions be looked at again and
    /// the whole batch retried once.
    ///
    /// - Throws: whatever is not one row's fault (the transaction is rolled back when the connection still
    ///   works); ``LoaderError/Code/checkpointMoved`` when the checkpoint row no longer holds the batch's
    ///   start.
    func commit(_ batch: LoadBatch, connection: PostgresConnection) throws -> CommitOutcome {
        var splitting = false
        var partitionsChecked = false
        while true {
            try connection.execute("BEGIN")
            do {
                var deadLetters = batch.malformed
                var failed: Set<Int> = []
                var rows = 0
                if batch.rowCount > 0 && splitting {
                    rows = try copySplitting(
                        0..<batch.rowCount, of: batch, knownToFail: true, deadLetters: &deadLetters,
                        failed: &failed, connection: connection
                    )
                } else if batch.rowCount > 0 {
                    do {
                        rows = try connection.copyFrom(Self.copyStatement, data: batch.stream)
                    } catch {
                        guard error.isRowFailure(connectionOpen: connection.isOpen) else { throw error }
                        try connection.execute("ROLLBACK")
                        if error.sqlState == "23514" && !partitionsChecked {
                            partitionsChecked = true
                            partitions.forget(batch.days)
                            _ = try partitions.prepare(batch.days, connection: connection, logger: logger)
                        } else {
                            logger.info(
                                "PostgreSQL refused a row of the batch; splitting it to find the row",
                                metadata: ["rows": "\(batch.rowCount)", "error": "\(error)"]
                            )
                            splitting = true
                        }
                        continue
                    }
                }
                for letter in deadLetters {
                    try letter.insert(nodeID: configuration.nodeID, into: connection)
                }
                // The hours of the rows that loaded, for the sessions and rollups jobs, with the rows; the
                // bound lets the sessions job take only the persons of these rows (and a few more).
                let marks = batch.loadedHours(failed: failed).map { (projectID: $0.projectID, hour: $0.hour) }
                try MarkTable.events.insert(marks, receivedFrom: batch.receivedFrom, on: connection)
                try advanceCheckpoint(from: batch.start, to: batch.end, rows: rows, connection: connection)
                try connection.execute("COMMIT")
                for letter in deadLetters {
                    logger.warning(
                        "stored a row PostgreSQL refused in sluice.dead_letters",
                        metadata: [
                            "project_id": "\(letter.projectID.map { String($0) } ?? "-")",
                            "message_id": "\(letter.messageID ?? "-")",
                            "error": "\(letter.summary)",
                            "spool_position": "\(letter.spoolPosition)",
                        ]
                    )
                }
                return CommitOutcome(rows: rows, deadLetters: deadLetters)
            } catch {
                if connection.isOpen { _ = try? connection.execute("ROLLBACK") }
                throw error
            }
        }
    }

    /// Copies tuples `range` of `batch` inside the caller's transaction, each attempt under a savepoint,
    /// halving a part PostgreSQL refuses until the refused rows are alone; those become `deadLetters`.
    ///
    /// With `knownToFail` the range itself is not tried (it is split at once), except a single row, whose
    /// error is wanted. When the left half of a failing range loads whole, the right half is known to fail
    /// and is split without trying it whole, so one bad row among n costs about log₂ n + 1 `COPY`s per level
    /// rather than 2.
    ///
    /// - Returns: the rows copied.
    /// - Throws: any failure that is not one row's; the caller rolls the transaction back.
    private func copySplitting(
        _ range: Range<Int>, of batch: LoadBatch, knownToFail: Bool, deadLetters: inout [DeadLetter],
        failed: inout Set<Int>, connection: PostgresConnection
    ) throws -> Int {
        if !knownToFail || range.count == 1 {
            try connection.execute("SAVEPOINT sluice_rows")
            do {
                let rows = try connection.copyFrom(Self.copyStatement, data: batch.stream(of: range))
                try connection.execute("RELEASE SAVEPOINT sluice_rows")
                return rows
            } catch {
                guard error.isRowFailure(connectionOpen: connection.isOpen) else { throw error }
                try connection.execute("ROLLBACK TO SAVEPOINT sluice_rows")
                try connection.execute("RELEASE SAVEPOINT sluice_rows")
                if range.count == 1 {
                    deadLetters.append(batch.deadLetter(tuple: range.lowerBound, error: DeadLetter.errorText(error)))
                    failed.insert(range.lowerBound)
                    return 0
                }
            }
        }
        let middle = range.lowerBound + range.count / 2
        let lettersBefore = deadLetters.count
        let left = try copySplitting(
            range.lowerBound..<middle, of: batch, knownToFail: false, deadLetters: &deadLetters, failed: &failed,
            connection: connection
        )
        let right = try copySplitting(
            middle..<range.upperBound, of: batch, knownToFail: deadLetters.count == lettersBefore,
            deadLetters: &deadLetters, failed: &failed, connection: connection
        )
        return left + right
    }

    /// Moves this node's checkpoint from `start` to `end` and adds `rows` to its count, inside the caller's
    /// transaction (or, outside one, in a transaction of its own).
    ///
    /// - Throws: ``LoaderError/Code/checkpointMoved`` when the row does not hold `start` (another loader
    ///   committed meanwhile); `PostgresError`.
    func advanceCheckpoint(
        from start: SpoolPosition, to end: SpoolPosition, rows: Int, connection: PostgresConnection
    ) throws {
        let result = try connection.query(
            """
            UPDATE sluice.spool_checkpoints
            SET segment = $1, "offset" = $2, rows_loaded = rows_loaded + $3, updated_at = now()
            WHERE node_id = $4 AND segment = $5 AND "offset" = $6
            """,
            [
                String(end.segment), String(end.offset), String(rows), configuration.nodeID,
                String(start.segment), String(start.offset),
            ]
        )
        guard result.affectedRows == 1 else {
            throw LoaderError(
                .checkpointMoved,
                "the checkpoint of node \(configuration.nodeID) is no longer at \(start); another loader with "
                    + "the same node id committed meanwhile (give every spool its own node id); rolled back"
            )
        }
    }
}
