import Foundation
import SluiceDashboard
import Testing

/// The page as assembled from its sources: one self-contained document, nothing fetched from elsewhere, within
/// the size stated in docs/dashboard.md.
@Suite struct DashboardPageTests {
    static let page = Result { try DashboardPage.bundled() }

    static func html() throws -> String {
        String(decoding: try page.get().html, as: UTF8.self)
    }

    @Test func assemblesOneDocumentWithItsStyleAndScriptInline() throws {
        let html = try Self.html()
        #expect(html.hasPrefix("<!doctype html>"))
        #expect(html.contains(#"<html lang="en">"#))
        #expect(!html.contains("dashboard.css") && !html.contains("dashboard.js"), "the sources' links are replaced")
        #expect(html.components(separatedBy: "<style>").count == 2)
        #expect(html.components(separatedBy: "<script>").count == 2)
        let css = try DashboardPage.resource("dashboard", "css")
        let script = try DashboardPage.resource("dashboard", "js")
        #expect(html.contains("<style>\(css)</style>"))
        #expect(html.contains("<script>\(script)</script>"))
    }

    @Test func hasAnElementForEveryTopNumber() throws {
        let html = try Self.html()
        for metric in ["visitors", "visits", "pageviews", "bounce_rate", "visit_duration", "realtime_visitors"] {
            #expect(html.contains(#"data-metric="\#(metric)""#), "no element for \(metric)")
        }
    }

    /// No URL of another host anywhere in the page: the only absolute URL is SVG's namespace name, which is an
    /// identifier the browser never fetches; the only `src`/`href` attributes are the empty icon and in-page links.
    @Test func namesNoOtherHost() throws {
        let html = try Self.html()
        let absolute = try Regex(#"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s"'<>)]*"#)
        let found = html.matches(of: absolute).map { String(html[$0.range]) }
        #expect(found == ["http://www.w3.org/2000/svg"], "absolute URLs in the page: \(found)")
        let references = try Regex(#"(?:src|href|action)\s*=\s*"([^"]*)""#)
        for match in html.matches(of: references) {
            let value = String(html[match.range])
            #expect(value.contains("\"#") || value.contains("\"data:"), "a reference to fetch: \(value)")
        }
        #expect(!html.contains("@import") && !html.contains("url("), "CSS that fetches")
        #expect(!html.contains("fetch(\"http") && !html.contains("fetch('http"), "a fetch of an absolute URL")
    }

    /// The budget the docs state; the figures go into docs/dashboard.md when they change.
    @Test func staysWithinItsSize() throws {
        let page = try Self.page.get()
        print("dashboard page: \(page.html.count) bytes raw, \(page.gzipped.count) bytes gzipped")
        #expect(page.gzipped.count <= DashboardPage.gzippedBudget, "\(page.gzipped.count) bytes gzipped")
        #expect(page.html.count <= DashboardPage.rawBudget, "\(page.html.count) bytes raw")
        #expect(page.gzipped.count < page.html.count / 2)
    }

    @Test func docsStateTheMeasuredSize() throws {
        let page = try Self.page.get()
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/dashboard.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        let kilobytes = { (bytes: Int) in String(format: "%.1f KB", Double(bytes) / 1024) }
        let raw = kilobytes(page.html.count), gzipped = kilobytes(page.gzipped.count)
        #expect(
            text.contains(raw) && text.contains(gzipped), "docs/dashboard.md should state \(raw) raw and \(gzipped) gzipped"
        )
    }

    @Test func etagChangesWithTheContent() throws {
        let one = try DashboardPage(html: Self.template, css: "p{}", javascript: "1")
        let same = try DashboardPage(html: Self.template, css: "p{}", javascript: "1")
        let other = try DashboardPage(html: Self.template, css: "p{}", javascript: "2")
        #expect(one.etag == same.etag)
        #expect(one.etag != other.etag)
        #expect(one.etag.hasPrefix("\"") && one.etag.hasSuffix("\"") && one.etag.count == 34)
        #expect(one.gzipETag != one.etag)
        #expect(one.contentSecurityPolicy.contains("default-src 'none'"))
        #expect(one.contentSecurityPolicy.contains("connect-src 'self'"))
    }

    static let template = """
        <!doctype html><html lang="en"><head><link rel="stylesheet" href="dashboard.css"></head>
        <body><script src="dashboard.js"></script></body></html>
        """

    @Test func refusesSourcesItCannotAssemble() {
        #expect(throws: DashboardError.self) {
            try DashboardPage(html: "<html></html>", css: "", javascript: "")
        }
        #expect(throws: DashboardError.self) {
            try DashboardPage(html: Self.template + Self.template, css: "", javascript: "")
        }
        #expect(throws: DashboardError.self) {
            try DashboardPage(html: Self.template, css: "", javascript: "var s = '</script>';")
        }
        #expect(throws: DashboardError.self) {
            try DashboardPage(html: Self.template, css: "/* </STYLE> */", javascript: "")
        }
    }
}
