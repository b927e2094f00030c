import Hummingbird
import NIOCore
import SluiceCore
import SluiceSegment

/// The JSON answers of the ingest API, as `INTERFACE.md` gives them.
package enum IngestResponse {
    /// `200 {"success":true}`, with `"rejected":[{"index":3,"reason":"…"}]` when some events were refused.
    package static func accepted(rejected: [SegmentRejection]) -> Response {
        var text = #"{"success":true"#
        if !rejected.isEmpty {
            text += #","rejected":["#
            for (number, rejection) in rejected.enumerated() {
                if number > 0 { text += "," }
                text += #"{"index":\#(rejection.index),"reason":"#
                JSONString.append(rejection.reason, to: &text)
                text += "}"
            }
            text += "]"
        }
        text += "}"
        return json(.ok, text)
    }

    /// `{"success":false,"error":{"code":"…","message":"…"}}` with the error's status, and `Retry-After`
    /// where retrying helps.
    package static func refused(_ error: IngestError) -> Response {
        var response = json(error.code.status, errorText(code: error.code.name, message: error.message))
        if let seconds = error.retryAfterSeconds {
            response.headers[.retryAfter] = String(seconds)
        }
        return response
    }

    /// The body of every error answer of Sluice's API: `{"success":false,"error":{"code":"…","message":"…"}}`.
    package static func errorText(code: String, message: String) -> String {
        var text = #"{"success":false,"error":{"code":"#
        JSONString.append(code, to: &text)
        text += #","message":"#
        JSONString.append(message, to: &text)
        return text + "}}"
    }

    package static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text))
        )
    }
}
