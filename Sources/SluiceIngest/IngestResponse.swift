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
        var text = #"{"success":false,"error":{"code":"\#(error.code.name)","message":"#
        JSONString.append(error.message, to: &text)
        text += "}}"
        var response = json(error.code.status, text)
        if let seconds = error.retryAfterSeconds {
            response.headers[.retryAfter] = String(seconds)
        }
        return response
    }

    package static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text))
        )
    }
}
