/// A failure talking to PostgreSQL: what went wrong, with the server's SQLSTATE and message when it sent one.
///
/// `description` is one line fit for a user; `sqlState` lets callers tell apart, for example, a unique
/// violation (`23505`) from a missing partition (`23514`) or a lost connection.
public struct PostgresError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String { case connection, server, copy, protocolViolation, resultDecoding }
        fileprivate let base: Base

        /// Could not connect, or the connection broke.
        public static let connection = Code(base: .connection)
        /// The server answered with an error (see `sqlState`).
        public static let server = Code(base: .server)
        /// A `COPY` stream failed on the client side.
        public static let copy = Code(base: .copy)
        /// libpq returned something the caller did not expect (e.g. rows from a statement).
        public static let protocolViolation = Code(base: .protocolViolation)
        /// A result value could not be read as the requested type.
        public static let resultDecoding = Code(base: .resultDecoding)

        public var description: String { base.rawValue }
    }

    public let code: Code
    /// The five-character SQLSTATE the server sent, e.g. `42P01` (undefined table).
    public let sqlState: String?
    /// The primary message, as the server or libpq wrote it.
    public let message: String
    public var detail: String?
    public var hint: String?
    /// The statement that failed, shortened, for context in logs.
    public var statement: String?

    public init(
        code: Code, message: String, sqlState: String? = nil, detail: String? = nil, hint: String? = nil,
        statement: String? = nil
    ) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.hint = hint
        self.statement = statement
    }

    public var description: String {
        var line = message
        if let sqlState { line += " (SQLSTATE \(sqlState))" }
        if let detail, !detail.isEmpty { line += "; \(detail)" }
        if let hint, !hint.isEmpty { line += "; hint: \(hint)" }
        return line
    }

    /// Whether the error means the connection is gone or the server is not (yet) accepting work, so that
    /// retrying on a new connection can succeed: connection failures, SQLSTATE class 08 (connection
    /// exception), 57P01-57P03 (admin shutdown, crash shutdown, cannot connect now).
    public var isTransient: Bool {
        if code == .connection { return true }
        guard let sqlState else { return false }
        return sqlState.hasPrefix("08") || ["57P01", "57P02", "57P03", "40001", "40P01"].contains(sqlState)
    }

    /// Whether the statement lost a conflict with another transaction (40001 serialization failure, 40P01
    /// deadlock; on a hot standby also a recovery conflict): the connection and the server are fine, and the
    /// same statement may succeed when run again.
    public var isConflict: Bool { sqlState == "40001" || sqlState == "40P01" }
}
