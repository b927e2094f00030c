import CompressNIO
import Foundation
import NIOCore

/// The tracker script as served: the bundled readable source (`Resources/sluice.js`), minified by
/// ``TrackerMinifier`` and gzipped once, at start-up.
package struct TrackerScript: Sendable {
    /// The readable source, as kept in the repository.
    package let source: String
    /// The bytes served to a client that does not accept gzip.
    package let minified: [UInt8]
    /// The bytes served with `Content-Encoding: gzip`: ``minified`` through zlib at its best compression.
    package let gzipped: [UInt8]

    /// What a test holds the gzipped script to: 1 KB.
    package static let gzippedBudget = 1024

    /// Prepares `source`.
    /// - Throws: ``TrackerError`` when the source cannot be minified or compressed.
    package init(source: String) throws(TrackerError) {
        self.source = source
        minified = Array(try TrackerMinifier.minify(source).utf8)
        var buffer = ByteBuffer(bytes: minified)
        do {
            let compressed = try buffer.compress(with: .gzip(configuration: .init(compressionLevel: 9)))
            gzipped = Array(compressed.readableBytesView)
        } catch {
            throw TrackerError(.compressionFailed, "gzip failed: \(error)")
        }
    }

    /// The script bundled with the binary.
    /// - Throws: ``TrackerError`` when the resource is missing (the binary was moved without its bundle) or invalid.
    package static func bundled() throws(TrackerError) -> TrackerScript {
        guard let url = Bundle.module.url(forResource: "sluice", withExtension: "js", subdirectory: "Resources"),
            let data = try? Data(contentsOf: url)
        else {
            throw TrackerError(
                .missingResource, "sluice.js is missing from the resource bundle next to the sluice binary; reinstall it"
            )
        }
        return try TrackerScript(source: String(decoding: data, as: UTF8.self))
    }
}
