// SluicePostgres: the one Swift wrapper over libpq. Nothing else in Sluice imports CLibPQ.

import CLibPQ

#if canImport(Glibc)
import Glibc
#endif

/// One libpq connection to PostgreSQL.
///
/// Not thread-safe, and deliberately not `Sendable`: a connection belongs to one task at a time (a loader, a
/// job, a command). Statements run synchronously on the caller's thread, which is what a dedicated loader
/// thread wants. The connection closes on deinit.
public final class PostgresConnection {
    /// The libpq handle; for the extensions of this module only.
    package let handle: OpaquePointer
    /// The connection string this connection was opened with (libpq conninfo or `postgres://` URL).
    public let connectionString: String
    /// The statements this connection has prepared on the server (`reusingPlan(_:_:)`).
    package var preparedStatements = PreparedStatements()

    /// The libpq connection parameters every connection starts from, so that a peer that vanished without
    /// closing the connection (a half-open TCP connection: a crashed host, a dropped route, a frozen VM) is
    /// noticed within about 30 seconds instead of the kernel's two hours:
    /// - `keepalives_idle` 10, `keepalives_interval` 5, `keepalives_count` 3: an idle connection is probed after
    ///   10 s and given up after 3 unanswered probes 5 s apart (25 s);
    /// - `tcp_user_timeout` 30000: a connection whose sent data stays unacknowledged for 30 s is given up;
    /// - `connect_timeout` 10: an attempt to reach an unreachable host ends after 10 s.
    ///
    /// A connection string that sets any of these wins (they come before it in `PQconnectdbParams`).
    /// Unix-socket connections ignore the TCP ones.
    public static let defaultParameters: [(keyword: String, value: String)] = [
        ("connect_timeout", "10"),
        ("keepalives", "1"),
        ("keepalives_idle", "10"),
        ("keepalives_interval", "5"),
        ("keepalives_count", "3"),
        ("tcp_user_timeout", "30000"),
    ]

    /// Connects once.
    ///
    /// - Parameters:
    ///   - connectionString: a libpq conninfo (`host=… port=… dbname=…`) or a `postgres://` /
    ///     `postgresql://` URL; libpq parses both.
    ///   - parameters: libpq keywords and values applied before the connection string, which overrides them
    ///     (``defaultParameters`` unless given).
    /// - Throws: `PostgresError` (`.connection`) with libpq's message when the server cannot be reached or
    ///   refuses the login, or when the string cannot be parsed.
    public init(
        _ connectionString: String, parameters: [(keyword: String, value: String)] = defaultParameters
    ) throws(PostgresError) {
        // `expand_dbname` makes libpq read the `dbname` value as a whole conninfo string or URL, and values in
        // it override the keywords before it.
        let keywords = parameters.map(\.keyword) + ["dbname"]
        let values = parameters.map(\.value) + [connectionString]
        let connection = Self.withCStrings(keywords) { keywords in
            Self.withCStrings(values) { values in PQconnectdbParams(keywords, values, 1) }
        }
        guard let handle = connection else {
            throw PostgresError(code: .connection, message: "libpq could not allocate a connection")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = Self.connectionMessage(handle)
            PQfinish(handle)
            throw PostgresError(code: .connection, message: "could not connect to PostgreSQL: \(message)")
        }
        self.handle = handle
        self.connectionString = connectionString
        // Notices (e.g. "relation already exists, skipping") are expected here; keep them off stderr.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
    }

    /// Calls `body` with `strings` as a NULL-terminated array of C strings, valid only during the call.
    private static func withCStrings<T>(
        _ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> T
    ) -> T {
        let copies: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
        defer { copies.forEach { free($0) } }
        return copies.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: UnsafePointer<CChar>?.self) { body($0.baseAddress!) }
        }
    }

    /// The connection's socket descriptor, for inspecting its options in tests; -1 when there is none.
    package var socketDescriptor: Int32 { PQsocket(handle) }

    deinit { PQfinish(handle) }

    /// Whether the connection is still usable as far as libpq knows.
    public var isOpen: Bool { PQstatus(handle) == CONNECTION_OK }

    /// The server's version number, e.g. 150018 for 15.18.
    public var serverVersion: Int { Int(PQserverVersion(handle)) }

    /// Re-establishes a broken connection with the same parameters (`PQreset`).
    /// - Throws: `PostgresError` (`.connection`) when the server is still unreachable.
    public func reset() throws(PostgresError) {
        PQreset(handle)
        // A new session holds none of the old one's prepared statements.
        preparedStatements.forgetAll()
        guard PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError(code: .connection, message: "could not reconnect to PostgreSQL: \(Self.connectionMessage(handle))")
        }
    }

    // MARK: - Statements

    /// Runs one or more SQL statements without parameters (simple query protocol) and returns the last
    /// result. Use it for DDL and migration scripts.
    @discardableResult
    public func execute(_ sql: String) throws(PostgresError) -> PostgresResult {
        let result = PQexec(handle, sql)
        return try check(result, statement: sql)
    }

    /// Runs one statement with `$1`, `$2`, … parameters, sent apart from the SQL text (no quoting needed, no
    /// injection possible).
    ///
    /// - Parameters:
    ///   - parameters: each parameter's text form, nil for NULL; PostgreSQL infers the types from the
    ///     statement (add casts such as `$1::jsonb` where it cannot).
    ///   - binaryResult: ask for results in binary send format instead of text.
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = [], binaryResult: Bool = false) throws(PostgresError)
        -> PostgresResult
    {
        let result = Self.withParameterValues(parameters) { values in
            PQexecParams(handle, sql, Int32(parameters.count), nil, values, nil, nil, binaryResult ? 1 : 0)
        }
        return try check(result, statement: sql)
    }

    /// Calls `body` with `parameters` as libpq's array of parameter values (C strings, NULL for nil), which
    /// stay alive until `body` returns.
    static func withParameterValues(
        _ parameters: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> OpaquePointer?
    ) -> OpaquePointer? {
        let cStrings: [UnsafeMutablePointer<CChar>?] = parameters.map { $0.map { strdup($0) } ?? nil }
        defer { cStrings.forEach { free($0) } }
        return cStrings.withUnsafeBufferPointer { values in
            values.withMemoryRebound(to: UnsafePointer<CChar>?.self) { body($0.baseAddress) }
        }
    }

    /// Runs `body` inside `BEGIN … COMMIT`; any error thrown rolls the transaction back and is rethrown.
    @discardableResult
    public func transaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try execute("BEGIN")
        do {
            let value = try body(self)
            try execute("COMMIT")
            return value
        } catch {
            if isOpen { _ = try? execute("ROLLBACK") }
            throw error
        }
    }

    // MARK: - Results and errors

    /// Turns a libpq result into a `PostgresResult`, or throws the error it carries.
    package func check(_ result: OpaquePointer?, statement: String) throws(PostgresError) -> PostgresResult {
        guard let result else {
            throw PostgresError(
                code: isOpen ? .protocolViolation : .connection, message: Self.connectionMessage(handle),
                statement: Self.shortened(statement)
            )
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_COPY_IN, PGRES_COPY_OUT:
            return PostgresResult(handle: result)
        default:
            let error = Self.error(from: result, connection: handle, statement: statement)
            PQclear(result)
            throw error
        }
    }

    /// Reads the error fields of a failed result.
    package static func error(from result: OpaquePointer, connection: OpaquePointer, statement: String) -> PostgresError {
        func field(_ code: Character) -> String? {
            guard let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: value)
        }
        let sqlState = field("C")
        let message = field("M") ?? String(cString: PQresultErrorMessage(result)).trimmed
        let lost = PQstatus(connection) != CONNECTION_OK
        return PostgresError(
            code: lost && sqlState == nil ? .connection : .server,
            message: message.isEmpty ? connectionMessage(connection) : message,
            sqlState: sqlState, detail: field("D"), hint: field("H"), statement: shortened(statement)
        )
    }

    package static func connectionMessage(_ handle: OpaquePointer) -> String {
        guard let message = PQerrorMessage(handle) else { return "unknown libpq error" }
        // libpq's messages span lines ("connection to server … failed: …\n\tIs the server running…"): join them.
        let text = String(cString: message).split(whereSeparator: \.isNewline).map { $0.trimmed }.joined(separator: " ")
        return text.isEmpty ? "connection lost" : text
    }

    static func shortened(_ statement: String) -> String {
        let flat = statement.split(whereSeparator: \.isNewline).map { $0.trimmed }.joined(separator: " ")
        return flat.count > 200 ? String(flat.prefix(200)) + "…" : flat
    }
}

extension StringProtocol {
    var trimmed: String {
        var scalars = Substring(self).unicodeScalars[...]
        while let first = scalars.first, first.properties.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() }
        return String(String.UnicodeScalarView(scalars))
    }
}
