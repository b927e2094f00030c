import CLibPQ

/// The rows of one finished statement. Owns the libpq `PGresult` and frees it on deinit.
///
/// Values are read by row and column index; `nil` is SQL NULL. With text results (the default) every value
/// is its PostgreSQL text form; with binary results `bytes(_:_:)` gives the type's send format.
public final class PostgresResult {
    let handle: OpaquePointer

    init(handle: OpaquePointer) {
        self.handle = handle
    }

    deinit { PQclear(handle) }

    /// Number of rows returned.
    public var rowCount: Int { Int(PQntuples(handle)) }
    /// Number of columns of each row.
    public var columnCount: Int { Int(PQnfields(handle)) }
    /// Rows touched by an INSERT, UPDATE, DELETE, COPY or similar (`PQcmdTuples`), 0 when not reported.
    public var affectedRows: Int { Int(String(cString: PQcmdTuples(handle))) ?? 0 }

    /// The name of column `column`.
    public func columnName(_ column: Int) -> String { String(cString: PQfname(handle, Int32(column))) }

    /// The index of the column named `name`, if there is one.
    public func columnIndex(_ name: String) -> Int? {
        let index = Int(PQfnumber(handle, name))
        return index >= 0 ? index : nil
    }

    /// Whether the value at (`row`, `column`) is NULL.
    public func isNull(_ row: Int, _ column: Int) -> Bool { PQgetisnull(handle, Int32(row), Int32(column)) == 1 }

    /// The value at (`row`, `column`) as text, or nil for NULL (text results).
    public func string(_ row: Int, _ column: Int) -> String? {
        guard !isNull(row, column) else { return nil }
        return String(cString: PQgetvalue(handle, Int32(row), Int32(column)))
    }

    /// The value at (`row`, `column`) as raw bytes, or nil for NULL (binary results, or text bytes).
    public func bytes(_ row: Int, _ column: Int) -> [UInt8]? {
        guard !isNull(row, column) else { return nil }
        let length = Int(PQgetlength(handle, Int32(row), Int32(column)))
        guard let pointer = PQgetvalue(handle, Int32(row), Int32(column)) else { return [] }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
            Array(UnsafeBufferPointer(start: $0, count: length))
        }
    }

    /// The value at (`row`, `column`) parsed as an integer from its text form.
    /// - Throws: `PostgresError` (`.resultDecoding`) when the value is not an integer; nil for NULL.
    public func int(_ row: Int, _ column: Int) throws(PostgresError) -> Int? {
        guard let text = string(row, column) else { return nil }
        guard let value = Int(text) else {
            throw PostgresError(code: .resultDecoding, message: "column \(columnName(column)) is not an integer: \(text)")
        }
        return value
    }

    /// The value at (`row`, `column`) read as a boolean from its text form (`t`/`f`).
    public func bool(_ row: Int, _ column: Int) -> Bool? {
        string(row, column).map { $0 == "t" || $0 == "true" }
    }

    /// Every row as an array of optional strings (text results), for small results.
    public var rows: [[String?]] {
        (0..<rowCount).map { row in (0..<columnCount).map { string(row, $0) } }
    }
}
