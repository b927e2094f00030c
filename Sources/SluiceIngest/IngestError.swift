import Hummingbird

/// Why a request was not accepted; each code maps to one HTTP status and a stable `code` string in the
/// JSON error body (`{"success":false,"error":{"code":"…","message":"…"}}`).
package struct IngestError: Error, Sendable, CustomStringConvertible {
    package struct Code: Hashable, Sendable {
        /// The name in the JSON body, e.g. `invalid_json`.
        package let name: String
        package let status: HTTPResponse.Status

        package static let malformed = Code(name: "malformed_request", status: .badRequest)
        package static let unauthorized = Code(name: "unauthorized", status: .unauthorized)
        package static let tooLarge = Code(name: "payload_too_large", status: .contentTooLarge)
        package static let unsupportedEncoding = Code(name: "unsupported_encoding", status: .unsupportedMediaType)
        package static let overloaded = Code(name: "overloaded", status: .serviceUnavailable)
        package static let spoolFull = Code(name: "spool_full", status: .serviceUnavailable)
        package static let spoolFailed = Code(name: "spool_failed", status: .serviceUnavailable)
        /// PostgreSQL cannot be reached and what is needed without it (the saved project keys) is missing.
        package static let databaseUnavailable = Code(name: "database_unavailable", status: .serviceUnavailable)
    }

    package var code: Code
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `Retry-After` seconds for the answers a client should retry.
    package var retryAfterSeconds: Int? {
        code.status == .serviceUnavailable ? 1 : nil
    }

    package var description: String { "\(code.name): \(message)" }
}
