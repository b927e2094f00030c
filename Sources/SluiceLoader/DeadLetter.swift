import SluicePostgres
import SluiceSpool

/// A row PostgreSQL refused, or spool bytes that hold no row at all, on its way to `sluice.dead_letters`.
struct DeadLetter: Sendable, Equatable {
    /// The row's `project_id`, when the bytes hold a readable one.
    var projectID: Int64?
    /// The row's `message_id`, when the bytes hold a readable one.
    var messageID: String?
    /// The SQLSTATE and PostgreSQL's message, or why the bytes are not a tuple.
    var error: String
    /// One binary `COPY` tuple (or the undecodable rest of a spool record).
    var rowData: [UInt8]
    /// Where the spool record that held the row starts.
    var spoolPosition: SpoolPosition

    /// The `error` column's text for a refused row: `22P02 invalid input syntax for type json; detail`,
    /// at most ``maximumErrorCharacters`` long (a detail such as "Failing row contains (…)" repeats the
    /// whole row, which `row_data` already holds).
    static func errorText(_ error: PostgresError) -> String {
        var text = error.sqlState.map { "\($0) " } ?? ""
        text += error.message
        if let detail = error.detail, !detail.isEmpty { text += "; \(detail)" }
        return text.count > maximumErrorCharacters ? String(text.prefix(maximumErrorCharacters)) + "…" : text
    }

    /// The longest `error` text stored.
    static let maximumErrorCharacters = 2_000

    /// The error without PostgreSQL's detail, for the log: the detail may quote the row's values.
    var summary: String {
        guard let separator = error.firstRange(of: "; ") else { return error }
        return String(error[..<separator.lowerBound])
    }

    /// Inserts the letter for spool `nodeID` inside the caller's transaction.
    ///
    /// - Throws: `PostgresError`.
    func insert(nodeID: String, into connection: PostgresConnection) throws(PostgresError) {
        try connection.query(
            """
            INSERT INTO sluice.dead_letters
                (node_id, project_id, message_id, error, row_data, spool_segment, spool_offset)
            VALUES ($1, $2, $3, $4, $5::bytea, $6, $7)
            """,
            [
                nodeID, projectID.map { String($0) }, messageID.map(Self.storable), Self.storable(error),
                Self.hexLiteral(rowData), String(Int64(clamping: spoolPosition.segment)),
                String(Int64(clamping: spoolPosition.offset)),
            ]
        )
    }

    /// `text` without U+0000, which a libpq parameter (a C string) cannot carry and `text` cannot store.
    static func storable(_ text: String) -> String {
        guard text.utf8.contains(0) else { return text }
        return String(String.UnicodeScalarView(text.unicodeScalars.map { $0 == "\0" ? "\u{FFFD}" : $0 }))
    }

    /// `bytes` in `bytea`'s hex input format, `\x0a1b…`.
    static func hexLiteral(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = [UInt8(ascii: "\\"), UInt8(ascii: "x")]
        text.reserveCapacity(2 + 2 * bytes.count)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
