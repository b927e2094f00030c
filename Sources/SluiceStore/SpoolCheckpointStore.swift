import SluicePostgres

/// A node's row in `sluice.spool_checkpoints`, for the operator: what `sluice spool reset-checkpoint`
/// removes. (The loader keeps the row up to date itself, in the transactions that load the rows.)
public enum SpoolCheckpointStore {
    /// A checkpoint row as stored.
    public struct Row: Sendable, Equatable {
        public var nodeID: String
        public var segment: Int
        public var offset: Int
        public var rowsLoaded: Int
        /// The identity of the spool it belongs to; nil until a loader claims it.
        public var spoolID: String?
    }

    /// Deletes the checkpoint row of `nodeID`, so that the node's next start begins again with whatever
    /// spool its directory holds; returns the row deleted, or nil if there was none.
    ///
    /// Only for a spool that is gone for good: the records it held that were not loaded are lost, and a
    /// server still loading it would load its records again from the start.
    ///
    /// - Throws: `PostgresError`.
    public static func reset(nodeID: String, on connection: PostgresConnection) throws -> Row? {
        let result = try connection.query(
            """
            DELETE FROM sluice.spool_checkpoints WHERE node_id = $1
            RETURNING node_id, segment, "offset", rows_loaded, spool_id
            """,
            [nodeID]
        )
        guard result.rowCount == 1 else { return nil }
        return Row(
            nodeID: result.string(0, 0) ?? nodeID, segment: try result.int(0, 1) ?? 0,
            offset: try result.int(0, 2) ?? 0,
            rowsLoaded: try result.int(0, 3) ?? 0, spoolID: result.string(0, 4)
        )
    }
}
