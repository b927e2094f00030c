import Hummingbird
import NIOCore
import SluiceIngest

/// Why an experiments request was not answered; each code has one HTTP status and a stable `code` in the JSON
/// error body, the shape of every error of Sluice's API: `{"success":false,"error":{"code":"…","message":"…"}}`.
package struct ExperimentsAPIError: Error, Sendable, Equatable, CustomStringConvertible {
    package struct Code: Hashable, Sendable {
        /// The name in the JSON body.
        package let name: String
        package let status: HTTPResponse.Status

        /// Neither id, an id over the limit, a parameter that cannot be read.
        package static let malformed = Code(name: "malformed_request", status: .badRequest)
        /// No key, or one that no project has (or the wrong kind of key).
        package static let unauthorized = Code(name: "unauthorized", status: .unauthorized)
        /// The project has no experiment of that key.
        package static let notFound = Code(name: "not_found", status: .notFound)
        /// The database is needed and cannot be reached; retry.
        package static let unavailable = Code(name: "unavailable", status: .serviceUnavailable)
    }

    package let code: Code
    package let message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { "\(code.name): \(message)" }

    /// The JSON answer, with `Retry-After: 1` for `unavailable` and `WWW-Authenticate` for `unauthorized`.
    package func response(authenticate scheme: String) -> Response {
        var response = ExperimentsResponse.json(
            code.status, IngestResponse.errorText(code: code.name, message: message)
        )
        if code == .unavailable { response.headers[.retryAfter] = "1" }
        if code == .unauthorized { response.headers[.wwwAuthenticate] = scheme }
        return response
    }
}

/// The experiments endpoints' JSON answers.
enum ExperimentsResponse {
    static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json", .accessControlAllowOrigin: "*"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text))
        )
    }
}
