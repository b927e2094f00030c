import HTTPTypes
import Hummingbird
import NIOCore

/// Cross-origin resource sharing on the Segment endpoints, so that a page of any origin (sluice.js, Segment's
/// analytics.js, any browser SDK) can post events.
///
/// Every answer to a request with an `Origin` header carries `Access-Control-Allow-Origin: *`: the endpoints use
/// no cookies, only a write key that the page itself holds, so no origin needs to be told apart. A preflight
/// (`OPTIONS` with `Origin`) is answered 204 with the allowed methods (`POST`, `OPTIONS`) and headers
/// (`Content-Type`, `Authorization`, `Content-Encoding`), cacheable for ``maxAge`` seconds; an `OPTIONS` without
/// `Origin` gets 204 with `Allow`. A request without `Origin` (a server-side SDK) passes through untouched.
package enum IngestCORS {
    /// How long a browser may reuse a preflight's answer, in seconds (Chromium caps it at 2 hours, Firefox at 24).
    package static let maxAge: Int64 = 86_400

    /// A group of `router` whose routes answer with CORS headers: add the ingest routes to it, then
    /// ``addPreflights(for:to:)`` for their paths.
    ///
    /// Hummingbird runs a group's middleware only for the routes added to the group, so a preflight reaches it
    /// only through the `OPTIONS` routes that ``addPreflights(for:to:)`` adds; other routes stay without CORS.
    package static func group<Context: RequestContext>(on router: some RouterMethods<Context>) -> RouterGroup<Context> {
        router.group().add(
            middleware: CORSMiddleware<Context>(
                allowOrigin: .all,
                allowHeaders: [.contentType, .authorization, .contentEncoding],
                allowMethods: [.post, .options],
                maxAge: .seconds(maxAge)
            )
        )
    }

    /// Adds `OPTIONS` for each path to `group` (from ``group(on:)``), answered by its CORS middleware.
    package static func addPreflights<Context: RequestContext>(for paths: [String], to group: RouterGroup<Context>) {
        for path in paths {
            group.on(RouterPath(path), method: .options, use: { _, _ -> Response in
                Response(status: .noContent, headers: [.allow: "POST, OPTIONS"])
            })
        }
    }
}
