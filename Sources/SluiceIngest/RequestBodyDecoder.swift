import CompressNIO
import Foundation
import NIOCore
import SluiceZstd

/// Inflates a request body by its `Content-Encoding`, refusing bombs.
///
/// Segment SDKs send gzip; zstd is accepted too. Both limits apply to the inflated bytes: at most
/// `maxBytes`, and at most `maxRatio` times the compressed size, so a 10 KB body cannot make the server
/// allocate 500 KB per request (a cheap amplification) and a 1 KB body cannot unpack to gigabytes.
package struct RequestBodyDecoder: Sendable {
    package var maxBytes: Int
    package var maxRatio: Int

    package init(maxBytes: Int, maxRatio: Int) {
        self.maxBytes = maxBytes
        self.maxRatio = maxRatio
    }

    /// The body's bytes, inflated.
    ///
    /// - Throws: ``IngestError`` `unsupportedEncoding` (415) for an encoding other than identity, gzip
    ///   and zstd; `tooLarge` (413) past a limit; `malformed` (400) for data that does not inflate.
    package func decode(_ body: ByteBuffer, contentEncoding: String?) throws(IngestError) -> ByteBuffer {
        let encoding = contentEncoding?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        switch encoding {
        case "", "identity":
            guard body.readableBytes <= maxBytes else { throw tooLarge(body.readableBytes, compressed: false) }
            return body
        case "gzip", "x-gzip":
            return try inflateGzip(body)
        case "zstd":
            return try inflateZstd(body)
        default:
            throw IngestError(
                .unsupportedEncoding, "Content-Encoding '\(contentEncoding ?? "")' is not supported; send gzip, zstd or none"
            )
        }
    }

    private func limit(for compressedBytes: Int) -> Int {
        let (ratioLimit, overflow) = max(compressedBytes, 1).multipliedReportingOverflow(by: maxRatio)
        return overflow ? maxBytes : min(maxBytes, ratioLimit)
    }

    private func inflateGzip(_ body: ByteBuffer) throws(IngestError) -> ByteBuffer {
        var input = body
        let cap = limit(for: body.readableBytes)
        let output: ByteBuffer
        do {
            // One byte over the cap tells "exactly at the limit" from "over it".
            output = try input.decompress(with: .gzip(), maxSize: cap + 1)
        } catch {
            if (error as? CompressNIOError) == .bufferOverflow { throw tooLarge(cap + 1, compressed: true) }
            throw IngestError(.malformed, "the gzip body does not inflate: \(error)")
        }
        guard output.readableBytes <= cap else { throw tooLarge(output.readableBytes, compressed: true) }
        return output
    }

    private func inflateZstd(_ body: ByteBuffer) throws(IngestError) -> ByteBuffer {
        let cap = limit(for: body.readableBytes)
        var output: [UInt8] = []
        do {
            let decompressor = try ZstdDecompressor(maximumOutputBytes: cap)
            try decompressor.decompress(body.readableBytesView, into: &output)
        } catch {
            if error.code == .sizeLimitExceeded { throw tooLarge(cap + 1, compressed: true) }
            throw IngestError(.malformed, "the zstd body does not inflate: \(error)")
        }
        return ByteBuffer(bytes: output)
    }

    private func tooLarge(_ bytes: Int, compressed: Bool) -> IngestError {
        if compressed {
            IngestError(
                .tooLarge,
                "the body inflates past the limit of \(maxBytes) bytes (or \(maxRatio)x its compressed size)"
            )
        } else {
            IngestError(.tooLarge, "the body is \(bytes) bytes, over the limit of \(maxBytes)")
        }
    }
}
