import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /sluice.js`: the tracker script, gzipped for clients that accept it.
///
/// A route collection generic over the request context, so any server's router can take it.
package struct TrackerRoutes: Sendable {
    let script: TrackerScript
    /// How long browsers and CDNs may keep the script before asking again, in seconds: an hour, so a new
    /// version reaches every page within one.
    package static let maxAge = 3600

    package init(script: TrackerScript) {
        self.script = script
    }

    package func addRoutes<Context: RequestContext>(to router: some RouterMethods<Context>) {
        let script = script
        router.get("/sluice.js") { request, _ -> Response in
            let gzip = Self.acceptsGzip(request.headers[values: .acceptEncoding])
            var headers: HTTPFields = [
                .contentType: "text/javascript; charset=utf-8",
                .cacheControl: "public, max-age=\(Self.maxAge)",
                .vary: "Accept-Encoding",
            ]
            if gzip { headers[.contentEncoding] = "gzip" }
            let bytes = gzip ? script.gzipped : script.minified
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }

    /// Whether an `Accept-Encoding` header allows gzip: `gzip` (or `*`) listed with a q-value above 0.
    package static func acceptsGzip(_ values: [String]) -> Bool {
        for value in values {
            for item in value.split(separator: ",") {
                let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                guard let coding = parts.first, coding == "gzip" || coding == "*" else { continue }
                let quality = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) }
                if (quality ?? 1) > 0 { return true }
            }
        }
        return false
    }
}
