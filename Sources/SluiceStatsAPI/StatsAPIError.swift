import HTTPTypes
import SluiceStats

/// Why a Stats API request was not answered with numbers: the status, a code, one line for the caller.
package struct StatsAPIError: Error, Sendable, CustomStringConvertible {
    package enum Code: String, Sendable {
        /// 400: a parameter the API cannot use (``StatsError``).
        case badRequest = "bad_request"
        /// 401: no read key, or not a read key.
        case unauthorized
        /// 503: the database cannot be reached (or the server is stopping).
        case unavailable
        /// 503: the query ran past the statement timeout.
        case queryTimeout = "query_timeout"
        /// 503: every connection is busy and the queue is full.
        case overloaded
        /// 500: the database refused a statement of ours (e.g. the schema is not migrated).
        case internalError = "internal_error"
    }

    package let code: Code
    package let message: String
    /// The query parameter at fault, for 400s.
    package var parameter: String?
    /// Seconds for `Retry-After`, for 503s.
    package var retryAfterSeconds: Int?

    package init(_ code: Code, _ message: String, parameter: String? = nil, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.message = message
        self.parameter = parameter
        self.retryAfterSeconds = retryAfterSeconds
    }

    package init(_ error: StatsError) {
        self.init(.badRequest, error.message, parameter: error.parameter)
    }

    package var status: HTTPResponse.Status {
        switch code {
        case .badRequest: .badRequest
        case .unauthorized: .unauthorized
        case .unavailable, .queryTimeout, .overloaded: .serviceUnavailable
        case .internalError: .internalServerError
        }
    }

    package var description: String { "\(code.rawValue): \(message)" }
}
