import CompressNIO
import NIOCore
import SluiceTracker
import Testing

@Suite struct TrackerScriptTests {
    /// The promise of the README: the tracker costs a page at most 1 KB over the wire.
    @Test func gzippedScriptIsAtMostOneKilobyte() throws {
        let script = try TrackerScript.bundled()
        print("sluice.js: \(script.source.utf8.count) bytes of source, \(script.minified.count) minified, \(script.gzipped.count) gzipped")
        #expect(script.gzipped.count <= TrackerScript.gzippedBudget)
        #expect(script.gzipped.count > 0)
    }

    /// The gzipped bytes are the minified script, and the minified script is the source's minification.
    @Test func servedBytesAreTheMinifiedSource() throws {
        let script = try TrackerScript.bundled()
        #expect(script.minified == Array(try TrackerMinifier.minify(script.source).utf8))
        var compressed = ByteBuffer(bytes: script.gzipped)
        let inflated = try compressed.decompress(with: .gzip())
        #expect(Array(inflated.readableBytesView) == script.minified)
    }

    /// What the tracker sends depends on these names; a minification that lost one would break it silently.
    @Test func minifiedScriptKeepsItsInterface() throws {
        let minified = String(decoding: try TrackerScript.bundled().minified, as: UTF8.self)
        for name in [
            "data-write-key", "data-respect-dnt", "v1/batch", "writeKey", "sendBeacon", "keepalive", "pushState",
            "replaceState", "popstate", "visibilitychange", "anonymousId", "messageId", "utm_", "localStorage",
        ] {
            #expect(minified.contains(name), "\(name)")
        }
        #expect(!minified.contains("\n"))
    }

    @Test func acceptEncodingDecidesOnGzip() {
        #expect(TrackerRoutes.acceptsGzip(["gzip, deflate, br"]))
        #expect(TrackerRoutes.acceptsGzip(["br;q=1.0, gzip;q=0.5"]))
        #expect(TrackerRoutes.acceptsGzip(["*"]))
        #expect(!TrackerRoutes.acceptsGzip(["gzip;q=0"]))
        #expect(!TrackerRoutes.acceptsGzip(["identity"]))
        #expect(!TrackerRoutes.acceptsGzip([]))
    }
}
