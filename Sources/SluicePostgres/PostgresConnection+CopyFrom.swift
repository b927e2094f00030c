import CLibPQ
import SluiceCore

/// The sending side of one binary `COPY … FROM STDIN`, handed to the body of
/// ``PostgresConnection/copyFrom(_:encoder:chunkBytes:_:)``.
///
/// Append rows to ``encoder`` and call ``flushIfNeeded()`` after each row (or use ``append(_:)``): once the
/// buffer has passed the chunk size its bytes go to libpq and the buffer is emptied for reuse, so memory
/// stays at about one chunk however many rows the `COPY` carries. The header and trailer are written for you.
///
/// Not copyable, so it cannot be kept beyond the body it was handed to, when its `COPY` is over.
public struct CopyWriter: ~Copyable {
    /// The buffer rows are encoded into; call `beginRow(fieldCount:)` and one append per column.
    public var encoder: CopyEncoder
    /// The buffer size, in bytes, past which ``flushIfNeeded()`` sends it.
    public let chunkBytes: Int
    let connection: PostgresConnection
    let statement: String

    init(connection: PostgresConnection, statement: String, chunkBytes: Int) {
        self.encoder = CopyEncoder(capacity: 0)
        self.chunkBytes = chunkBytes
        self.connection = connection
        self.statement = statement
    }

    /// Sends the buffered bytes to libpq once they have reached ``chunkBytes``.
    /// - Throws: `PostgresError` when libpq cannot send (the connection broke).
    @inlinable
    public mutating func flushIfNeeded() throws(PostgresError) {
        if encoder.count >= chunkBytes { try flush() }
    }

    /// Appends one `analytics.events` row (the statement must list `EventRow.columns`) and flushes if needed.
    public mutating func append(_ row: EventRow) throws(PostgresError) {
        encoder.append(row)
        try flushIfNeeded()
    }

    /// Sends every buffered byte to libpq now and empties the buffer, keeping its capacity.
    /// - Throws: `PostgresError` when libpq cannot send (the connection broke).
    public mutating func flush() throws(PostgresError) {
        guard encoder.count > 0 else { return }
        try encoder.withUnsafeBytes { bytes throws(PostgresError) in
            try connection.putCopyData(bytes, statement: statement)
        }
        encoder.removeAll()
    }
}

extension PostgresConnection {
    /// Runs a binary `COPY … FROM STDIN (FORMAT binary)` and streams the rows `body` encodes, in chunks.
    ///
    /// The header is written before `body` runs and the trailer after it; `body` appends rows to
    /// `writer.encoder` and calls `writer.flushIfNeeded()` after each. When `body` throws, the `COPY` is
    /// aborted (`PQputCopyEnd` with a message): nothing is inserted, the connection stays usable, and the
    /// error is rethrown. Inside a transaction the abort, like any failed `COPY`, fails the transaction.
    ///
    /// Each call allocates a fresh buffer; a loader that copies again and again should pass its own
    /// encoder to ``copyFrom(_:encoder:chunkBytes:_:)`` instead.
    ///
    /// - Parameters:
    ///   - sql: a `COPY table (columns…) FROM STDIN (FORMAT binary)` statement.
    ///   - chunkBytes: how many bytes to gather before handing them to libpq.
    /// - Returns: the number of rows the server reports it copied.
    /// - Throws: `PostgresError`: `.server` with the SQLSTATE when the server refuses the statement or a
    ///   row (e.g. `23502` a NULL in a NOT NULL column, `23514` no partition for a row), `.protocolViolation`
    ///   when `sql` is not a `COPY FROM STDIN`, `.connection` when the connection breaks; or what `body` threw.
    public func copyFrom(
        _ sql: String, chunkBytes: Int = 256 * 1024, _ body: (inout CopyWriter) throws -> Void
    ) throws -> Int {
        // A little more than a chunk, so the row that crosses the chunk size rarely makes the buffer grow.
        var encoder = CopyEncoder(capacity: chunkBytes + 64 * 1024)
        return try copyFrom(sql, encoder: &encoder, chunkBytes: chunkBytes, body)
    }

    /// Runs a binary `COPY … FROM STDIN`, encoding into the caller's `encoder` so its buffer is reused.
    ///
    /// Like ``copyFrom(_:chunkBytes:_:)``; `encoder` is emptied first and comes back empty with its capacity
    /// (and ``CopyEncoder/rowCount`` counting the rows of this `COPY`), whether the call succeeds or throws.
    public func copyFrom(
        _ sql: String, encoder: inout CopyEncoder, chunkBytes: Int = 256 * 1024,
        _ body: (inout CopyWriter) throws -> Void
    ) throws -> Int {
        precondition(chunkBytes > 0, "chunkBytes must be positive")
        encoder.removeAll()
        try beginCopyIn(sql)
        var writer = CopyWriter(connection: self, statement: sql, chunkBytes: chunkBytes)
        // Move the caller's buffer into the writer rather than copying it: two live references to one array
        // would make the first append copy the whole buffer.
        swap(&writer.encoder, &encoder)
        defer {
            swap(&writer.encoder, &encoder)
            encoder.removeAll()
        }
        writer.encoder.writeHeader()
        do {
            try body(&writer)
            writer.encoder.writeTrailer()
            try writer.flush()
        } catch {
            abortCopyIn(reason: "\(error)")
            throw error
        }
        return try endCopyIn(sql)
    }

    /// Copies `rows` into `table` with one binary `COPY` of the columns ``EventRow/columns``.
    ///
    /// - Parameter table: the target, as SQL (schema-qualified, quoted where needed); inserted verbatim.
    /// - Returns: the number of rows copied.
    /// - Throws: `PostgresError`, as ``copyFrom(_:chunkBytes:_:)``; a failed `COPY` inserts nothing.
    public func copyEvents(_ rows: some Sequence<EventRow>, into table: String = "analytics.events") throws -> Int {
        var encoder = CopyEncoder(capacity: 256 * 1024 + 64 * 1024)
        return try copyEvents(rows, into: table, encoder: &encoder)
    }

    /// Copies `rows` into `table` like ``copyEvents(_:into:)``, encoding into the caller's reusable `encoder`.
    public func copyEvents(
        _ rows: some Sequence<EventRow>, into table: String = "analytics.events", encoder: inout CopyEncoder,
        chunkBytes: Int = 256 * 1024
    ) throws -> Int {
        let sql = "COPY \(table) (\(Self.eventColumnList)) FROM STDIN (FORMAT binary)"
        return try copyFrom(sql, encoder: &encoder, chunkBytes: chunkBytes) { writer in
            for row in rows { try writer.append(row) }
        }
    }

    /// Runs `COPY … FROM STDIN` with data already in the statement's format (text, CSV, or binary including
    /// its header and trailer), sent in chunks of `chunkBytes`.
    ///
    /// - Returns: the number of rows the server reports it copied.
    /// - Throws: `PostgresError`, as ``copyFrom(_:chunkBytes:_:)``.
    public func copyFrom(_ sql: String, data: [UInt8], chunkBytes: Int = 256 * 1024) throws(PostgresError) -> Int {
        precondition(chunkBytes > 0, "chunkBytes must be positive")
        try beginCopyIn(sql)
        do {
            // withUnsafeBufferPointer, not withUnsafeBytes: the latter is `rethrows`, which loses the error type.
            try data.withUnsafeBufferPointer { buffer throws(PostgresError) in
                let bytes = UnsafeRawBufferPointer(buffer)
                var offset = 0
                while offset < bytes.count {
                    let end = min(offset + chunkBytes, bytes.count)
                    try putCopyData(UnsafeRawBufferPointer(rebasing: bytes[offset..<end]), statement: sql)
                    offset = end
                }
            }
        } catch {
            abortCopyIn(reason: "\(error)")
            throw error
        }
        return try endCopyIn(sql)
    }

    /// Runs `COPY … FROM STDIN` with data already in the statement's format (a whole binary stream, header
    /// and trailer included), which `body` produces in pieces and hands to `send` (a restore decompressing an
    /// archive as it goes).
    ///
    /// When `body` throws, the `COPY` is aborted (nothing inserted) and the error rethrown.
    ///
    /// - Returns: the number of rows the server reports it copied.
    /// - Throws: `PostgresError`, as ``copyFrom(_:chunkBytes:_:)``; or what `body` threw.
    ///
    /// Its own name, not another `copyFrom`: a trailing closure `{ _ in … }` would fit both bodies.
    public func copyFromStream(
        _ sql: String, _ body: (_ send: ([UInt8]) throws(PostgresError) -> Void) throws -> Void
    ) throws -> Int {
        try beginCopyIn(sql)
        do {
            try body { bytes throws(PostgresError) in
                try bytes.withUnsafeBufferPointer { buffer throws(PostgresError) in
                    try putCopyData(UnsafeRawBufferPointer(buffer), statement: sql)
                }
            }
        } catch {
            abortCopyIn(reason: "\(error)")
            throw error
        }
        return try endCopyIn(sql)
    }

    /// `EventRow.columns`, quoted (`"timestamp"` is a keyword) and comma-separated.
    static let eventColumnList = EventRow.columns.map { "\"\($0)\"" }.joined(separator: ", ")

    // MARK: - The libpq COPY protocol

    /// Sends `sql` and checks that the server is now waiting for `COPY` data.
    private func beginCopyIn(_ sql: String) throws(PostgresError) {
        let result = PQexec(handle, sql)
        let status = result.map(PQresultStatus) ?? PGRES_FATAL_ERROR
        switch status {
        case PGRES_COPY_IN:
            PQclear(result)
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_COPY_OUT:
            PQclear(result)
            if status == PGRES_COPY_OUT { drainCopyOut() }
            throw PostgresError(
                code: .protocolViolation, message: "statement is not a COPY FROM STDIN",
                statement: Self.shortened(sql)
            )
        default:
            // A server error (e.g. no such table), or no result at all: `check` throws it.
            _ = try check(result, statement: sql)
            throw PostgresError(code: .protocolViolation, message: "COPY did not start", statement: Self.shortened(sql))
        }
    }

    /// Hands `bytes` to libpq, which sends them as `CopyData` messages.
    ///
    /// The connection is in blocking mode, so `PQputCopyData` returns 1 once libpq has taken the bytes, or
    /// −1 on failure; it never returns 0 ("try again"), which only happens in nonblocking mode.
    func putCopyData(_ bytes: UnsafeRawBufferPointer, statement: String) throws(PostgresError) {
        var offset = 0
        while offset < bytes.count {
            // PQputCopyData takes an `int` length.
            let length = min(bytes.count - offset, Int(Int32.max))
            let pointer = (bytes.baseAddress! + offset).assumingMemoryBound(to: CChar.self)
            guard PQputCopyData(handle, pointer, Int32(length)) == 1 else {
                throw PostgresError(
                    code: isOpen ? .copy : .connection,
                    message: "could not send COPY data: \(Self.connectionMessage(handle))",
                    statement: Self.shortened(statement)
                )
            }
            offset += length
        }
    }

    /// Ends the data, then reads every result: the row count on success, the server's error otherwise.
    private func endCopyIn(_ sql: String) throws(PostgresError) -> Int {
        var failure: PostgresError?
        if PQputCopyEnd(handle, nil) != 1 {
            failure = PostgresError(
                code: isOpen ? .copy : .connection,
                message: "could not end COPY: \(Self.connectionMessage(handle))", statement: Self.shortened(sql)
            )
        }
        let outcome = copyOutcome(sql)
        if let failure = failure ?? outcome.failure { throw failure }
        return outcome.rows
    }

    /// Reads every result after the data of a `COPY` (either direction) has ended: the row count the server
    /// reports, or the first error among them.
    func copyOutcome(_ sql: String) -> (rows: Int, failure: PostgresError?) {
        var rows = 0
        var failure: PostgresError?
        drainResults { result in
            if PQresultStatus(result) == PGRES_COMMAND_OK {
                rows = Int(String(cString: PQcmdTuples(result))) ?? 0
            } else if failure == nil {
                failure = Self.error(from: result, connection: handle, statement: sql)
            }
        }
        return (rows, failure)
    }

    /// Makes the server abandon the `COPY` (it answers with SQLSTATE 57014, which is expected and dropped)
    /// and reads the results, so the connection is ready for the next statement.
    private func abortCopyIn(reason: String) {
        // The message lands in the server log as "COPY from stdin failed: …"; keep it to one short line.
        let line = Self.shortened(reason)
        _ = PQputCopyEnd(handle, "client aborted the COPY: \(line)")
        drainResults { _ in }
    }

    /// Calls `body` with each pending result and frees it, until libpq has none left.
    func drainResults(_ body: (OpaquePointer) -> Void) {
        while let result = PQgetResult(handle) {
            let status = PQresultStatus(result)
            body(result)
            PQclear(result)
            // Still in a COPY state means the end of the data never reached the server (the connection
            // broke): libpq would hand out this same state forever, so stop here.
            if status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH { break }
        }
    }

    /// Reads and discards the rows of a `COPY … TO STDOUT` that was started by mistake, and its results.
    func drainCopyOut() {
        var buffer: UnsafeMutablePointer<CChar>?
        while PQgetCopyData(handle, &buffer, 0) > 0 {
            PQfreemem(buffer)
            buffer = nil
        }
        drainResults { _ in }
    }
}
