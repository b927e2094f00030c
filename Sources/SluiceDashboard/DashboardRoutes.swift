import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SluiceTracker

/// `GET /` and `GET /dashboard`: the dashboard page, gzipped for clients that accept it, revalidated by ETag.
///
/// A route collection generic over the request context, so any server's router can take it. When the page
/// could not be prepared (its files are missing from the bundle), both routes answer 500 with the reason in
/// words, so the person at the browser reads what to do instead of a blank page.
package struct DashboardRoutes: Sendable {
    let page: Result<DashboardPage, DashboardError>

    /// The paths the page is served at.
    package static let paths = ["/", "/dashboard"]

    package init(page: Result<DashboardPage, DashboardError>) {
        self.page = page
    }

    package func addRoutes<Context: RequestContext>(to router: some RouterMethods<Context>) {
        let page = page
        for path in Self.paths {
            router.get(RouterPath(path)) { request, _ -> Response in
                switch page {
                case .success(let page): Self.response(page, for: request)
                case .failure(let error): Self.failure(error)
                }
            }
        }
    }

    /// The page for `request`: `304 Not Modified` when its `If-None-Match` names the representation chosen
    /// (gzipped when `Accept-Encoding` allows it), else `200` with the bytes.
    ///
    /// `Cache-Control: no-cache`: a browser keeps the page but asks each time, so a new version of Sluice shows
    /// at the next load while an unchanged page costs one small 304.
    static func response(_ page: DashboardPage, for request: Request) -> Response {
        let gzip = TrackerRoutes.acceptsGzip(request.headers[values: .acceptEncoding])
        let etag = gzip ? page.gzipETag : page.etag
        var headers: HTTPFields = [
            .contentType: "text/html; charset=utf-8",
            .cacheControl: "no-cache",
            .eTag: etag,
            .vary: "Accept-Encoding",
            .contentSecurityPolicy: page.contentSecurityPolicy,
            HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            HTTPField.Name("Referrer-Policy")!: "no-referrer",
        ]
        if matches(request.headers[values: .ifNoneMatch], etag) {
            return Response(status: .notModified, headers: headers)
        }
        if gzip { headers[.contentEncoding] = "gzip" }
        let bytes = gzip ? page.gzipped : page.html
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// Whether `If-None-Match` values name `etag`: `*`, or a listed tag equal to it by the weak comparison
    /// RFC 9110 prescribes for this header (a `W/` prefix ignored).
    package static func matches(_ values: [String], _ etag: String) -> Bool {
        for value in values {
            for item in value.split(separator: ",") {
                var tag = item.trimmingCharacters(in: .whitespaces)
                if tag == "*" { return true }
                if tag.hasPrefix("W/") { tag.removeFirst(2) }
                if tag == etag { return true }
            }
        }
        return false
    }

    static func failure(_ error: DashboardError) -> Response {
        Response(
            status: .internalServerError, headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: "sluice: \(error.description)\n"))
        )
    }
}
