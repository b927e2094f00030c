// SluiceDashboard: the built-in dashboard page at `/`: one HTML document over the Stats and experiments APIs.

import CompressNIO
import Crypto
import Foundation
import NIOCore

/// The dashboard as served: the readable sources of `Resources/` (`dashboard.html`, which links
/// `dashboard.css` and `dashboard.js`) assembled at start-up into one self-contained HTML document, the
/// stylesheet and the script inlined, then gzipped once.
///
/// One document means one request, nothing else to fetch and nothing to go stale separately; the page's only
/// requests after that are to the Stats and experiments APIs of the same origin. The inline elements are
/// pinned by their SHA-256 in ``contentSecurityPolicy``, so the browser runs no other script or style.
package struct DashboardPage: Sendable {
    /// The document served to a client that does not accept gzip (UTF-8).
    package let html: [UInt8]
    /// ``html`` through zlib at its best compression, served with `Content-Encoding: gzip`.
    package let gzipped: [UInt8]
    /// A strong validator of ``html``: the first 16 bytes of its SHA-256 in hexadecimal, quoted. The gzipped
    /// representation's tag is this one with `-gzip` inside the quotes (RFC 9110: each representation has its
    /// own strong tag).
    package let etag: String
    /// The `Content-Security-Policy` header: nothing from elsewhere; this page's inline script and style only
    /// (by hash); requests only to this origin.
    package let contentSecurityPolicy: String

    /// What a test holds the gzipped page to (docs/dashboard.md states the measured size): 16 KB.
    package static let gzippedBudget = 16 * 1024
    /// What a test holds the page to before compression: 64 KB.
    package static let rawBudget = 64 * 1024

    /// What the HTML must contain where the stylesheet goes; replaced by `<style>…</style>`.
    static let styleLink = #"<link rel="stylesheet" href="dashboard.css">"#
    /// What the HTML must contain where the script goes; replaced by `<script>…</script>`.
    static let scriptTag = #"<script src="dashboard.js"></script>"#

    /// The tag of the gzipped representation.
    package var gzipETag: String { String(etag.dropLast()) + "-gzip\"" }

    /// Assembles the page from its three sources.
    /// - Throws: ``DashboardError`` `malformedSource` when `html` lacks ``styleLink`` or ``scriptTag`` (or has
    ///   either twice), or when the CSS contains `</style` or the script `</script` (either would end its
    ///   element early); `compressionFailed` when zlib fails.
    package init(html source: String, css: String, javascript: String) throws(DashboardError) {
        for (text, closing, name) in [(css, "</style", "dashboard.css"), (javascript, "</script", "dashboard.js")]
        where text.range(of: closing, options: .caseInsensitive) != nil {
            throw DashboardError(.malformedSource, "\(name) contains \(closing)>, which would end its element early")
        }
        var document = source
        for (marker, replacement) in [
            (Self.styleLink, "<style>\(css)</style>"), (Self.scriptTag, "<script>\(javascript)</script>"),
        ] {
            let parts = document.components(separatedBy: marker)
            guard parts.count == 2 else {
                throw DashboardError(
                    .malformedSource, "dashboard.html must contain \(marker) exactly once (found \(parts.count - 1))"
                )
            }
            document = parts[0] + replacement + parts[1]
        }
        html = Array(document.utf8)
        let digest = SHA256.hash(data: html)
        etag = "\"" + digest.prefix(16).map { String(format: "%02x", $0) }.joined() + "\""
        func pinned(_ text: String) -> String {
            "'sha256-" + Data(SHA256.hash(data: Array(text.utf8))).base64EncodedString() + "'"
        }
        contentSecurityPolicy = [
            "default-src 'none'", "script-src \(pinned(javascript))", "style-src \(pinned(css))",
            "connect-src 'self'", "img-src 'self' data:", "base-uri 'none'", "form-action 'self'",
            "frame-ancestors 'none'",
        ].joined(separator: "; ")
        var buffer = ByteBuffer(bytes: html)
        do {
            let compressed = try buffer.compress(with: .gzip(configuration: .init(compressionLevel: 9)))
            gzipped = Array(compressed.readableBytesView)
        } catch {
            throw DashboardError(.compressionFailed, "gzip failed: \(error)")
        }
    }

    /// The page bundled with the binary.
    /// - Throws: ``DashboardError`` when a file is missing (the binary was moved without its bundle) or the
    ///   sources cannot be assembled.
    package static func bundled() throws(DashboardError) -> DashboardPage {
        try DashboardPage(
            html: try resource("dashboard", "html"), css: try resource("dashboard", "css"),
            javascript: try resource("dashboard", "js")
        )
    }

    /// The text of one bundled source file.
    package static func resource(_ name: String, _ type: String) throws(DashboardError) -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: type, subdirectory: "Resources"),
            let data = try? Data(contentsOf: url)
        else {
            throw DashboardError(
                .missingResource,
                "\(name).\(type) is missing from the resource bundle next to the sluice binary; reinstall it"
            )
        }
        return String(decoding: data, as: UTF8.self)
    }
}
