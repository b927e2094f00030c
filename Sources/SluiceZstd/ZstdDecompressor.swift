import CZstd

/// Decompresses zstd data from an untrusted source under a hard limit on the decompressed size.
///
/// Use ``decompress(_:into:)`` when the whole input is at hand, or ``feed(_:into:)`` then
/// ``finish()`` when it arrives in pieces (an HTTP body with `Content-Encoding: zstd`). Both decode
/// every frame in the input, frames back to back included, and append the content to the caller's
/// array.
///
/// The limit, ``maximumOutputBytes``, counts all bytes decoded in one stream (one
/// ``decompress(_:into:)``, or the ``feed(_:into:)`` calls up to ``finish()``). Decoding stops with
/// `.sizeLimitExceeded` before the output would pass it, and the caller's array never grows beyond
/// it, whatever a frame header claims: a few KiB of compressed zeros cannot make the process
/// allocate gigabytes. Frames must also fit a 128 MiB window (``maximumWindowLog``), which bounds the
/// memory libzstd itself allocates.
///
/// Not thread-safe and not `Sendable`: one owner uses it at a time. After any throw the stream is
/// abandoned and the decompressor is ready for a new one.
public final class ZstdDecompressor {
    /// The most bytes one stream may decode to.
    public let maximumOutputBytes: Int

    /// The largest window, as a power of two, a frame may ask for: 2^27 bytes = 128 MiB.
    ///
    /// libzstd allocates the window a frame header asks for (up to 2 GiB with `--long=31`) before
    /// decoding a byte, so a hostile header alone could cost that much memory per request. 27 is
    /// libzstd's own default limit and covers every level up to 22 without long-distance matching.
    public static let maximumWindowLog = 27

    private let context: OpaquePointer
    /// Where libzstd writes decoded bytes; they are appended to the caller's array only after the
    /// limit check, so the array never holds a byte past the limit.
    private let scratch: UnsafeMutableRawBufferPointer
    /// Bytes decoded in the current stream.
    private var decodedBytes = 0
    /// Whether libzstd holds part of a frame: some of it consumed, its end not reached yet.
    private var isInsideFrame = false
    /// Whether the current stream has completed at least one frame.
    private var hasCompletedFrame = false

    /// Creates a decompressor whose streams may each decode to at most `maximumOutputBytes` bytes.
    ///
    /// - Throws: `.invalidParameter` if `maximumOutputBytes` is negative; `.decompression` if
    ///   libzstd cannot allocate or configure its context.
    public init(maximumOutputBytes: Int) throws(ZstdError) {
        guard maximumOutputBytes >= 0 else {
            throw ZstdError(.invalidParameter, "maximum output size \(maximumOutputBytes) is negative")
        }
        guard let context = ZSTD_createDCtx() else {
            throw ZstdError(.decompression, "could not allocate a decompression context")
        }
        let result = ZstdResult(ZSTD_DCtx_setParameter(context, ZSTD_d_windowLogMax, Int32(Self.maximumWindowLog)))
        if result.isError {
            ZSTD_freeDCtx(context)
            throw ZstdError(.decompression, "could not limit the window size", zstdResult: result.rawValue)
        }
        self.maximumOutputBytes = maximumOutputBytes
        self.context = context
        self.scratch = .allocate(byteCount: ZSTD_DStreamOutSize(), alignment: 1)
    }

    deinit {
        ZSTD_freeDCtx(context)
        scratch.deallocate()
    }

    /// Decompresses every frame in `bytes` into a new array of at most `maximumOutputBytes` bytes.
    ///
    /// - Throws: as ``decompress(_:into:)``.
    public static func decompress(
        _ bytes: some Collection<UInt8>,
        maximumOutputBytes: Int
    ) throws(ZstdError) -> [UInt8] {
        var output: [UInt8] = []
        try ZstdDecompressor(maximumOutputBytes: maximumOutputBytes).decompress(bytes, into: &output)
        return output
    }

    /// The size in bytes of the first frame in `bytes`, or nil if `bytes` does not start with a
    /// complete frame.
    ///
    /// Walks the frame and block headers without decoding, so it finds where back-to-back frames
    /// meet but does not prove the content decodes or matches its checksum. Skippable frames count.
    public static func frameSize(in bytes: some Collection<UInt8>) -> Int? {
        bytes.withZstdBytes { bytes in
            let result = ZstdResult(ZSTD_findFrameCompressedSize(bytes.baseAddress, bytes.count))
            return result.isError ? nil : result.rawValue
        }
    }

    /// Decodes all of `input`, one or more whole frames, appending the content to `output`.
    ///
    /// Abandons any stream begun with ``feed(_:into:)``.
    ///
    /// - Throws: `.sizeLimitExceeded` if the content would exceed ``maximumOutputBytes`` or a frame
    ///   needs a window over ``maximumWindowLog``; `.corrupt` for invalid data or a checksum
    ///   mismatch; `.truncated` if `input` ends inside a frame or holds no frame. After a throw,
    ///   `output` may hold the content decoded so far, never more than ``maximumOutputBytes``.
    public func decompress(_ input: some Collection<UInt8>, into output: inout [UInt8]) throws(ZstdError) {
        resetStream()
        try feed(input, into: &output)
        try finish()
    }

    /// Decodes the next piece of a stream, appending whatever content is ready to `output`.
    ///
    /// Pieces may split frames anywhere. Call ``finish()`` after the last piece.
    ///
    /// - Throws: `.sizeLimitExceeded` or `.corrupt`, as ``decompress(_:into:)``; the stream is
    ///   then abandoned.
    public func feed(_ bytes: some Collection<UInt8>, into output: inout [UInt8]) throws(ZstdError) {
        do {
            try bytes.withZstdBytes { (bytes) throws(ZstdError) in try decode(bytes, into: &output) }
        } catch {
            resetStream()
            throw error
        }
    }

    /// Ends the stream fed with ``feed(_:into:)``, checking that it ended on a frame boundary.
    ///
    /// The decompressor is then ready for a new stream, with a fresh ``maximumOutputBytes`` budget.
    ///
    /// - Throws: `.truncated` if the input stopped inside a frame or held no frame at all.
    public func finish() throws(ZstdError) {
        defer { resetStream() }
        if isInsideFrame {
            throw ZstdError(.truncated, "input ended inside a frame after \(decodedBytes) decoded bytes")
        }
        if !hasCompletedFrame {
            throw ZstdError(.truncated, "input held no zstd frame")
        }
    }

    private func resetStream() {
        // Resetting the session keeps the parameters (the window limit) and cannot fail.
        ZSTD_DCtx_reset(context, ZSTD_reset_session_only)
        decodedBytes = 0
        isInsideFrame = false
        hasCompletedFrame = false
    }

    private func decode(_ bytes: UnsafeRawBufferPointer, into output: inout [UInt8]) throws(ZstdError) {
        var input = ZSTD_inBuffer(src: bytes.baseAddress, size: bytes.count, pos: 0)
        while true {
            if !isInsideFrame && input.pos < input.size {
                try checkDeclaredSize(ofFrameAt: UnsafeRawBufferPointer(rebasing: bytes[input.pos...]), output: &output)
            }
            // Give libzstd room for at most one byte past the limit: if it fills that byte, the
            // content is too large, and we know without decoding (or keeping) any more of it.
            let allowed = maximumOutputBytes - decodedBytes
            let room = min(scratch.count, allowed + 1)
            var out = ZSTD_outBuffer(dst: scratch.baseAddress, size: room, pos: 0)
            let consumedBefore = input.pos
            let result = ZstdResult(ZSTD_decompressStream(context, &out, &input))
            if result.isError {
                if result.isWindowTooLarge {
                    throw ZstdError(
                        .sizeLimitExceeded,
                        "frame needs a window over 2^\(Self.maximumWindowLog) bytes",
                        zstdResult: result.rawValue
                    )
                }
                throw ZstdError(.corrupt, "frame failed to decode", zstdResult: result.rawValue)
            }
            // Checked before the bytes reach `output`, so the caller's array never grows past the limit.
            guard out.pos <= allowed else {
                throw ZstdError(.sizeLimitExceeded, "content exceeds the \(maximumOutputBytes)-byte limit")
            }
            append(UnsafeRawBufferPointer(rebasing: scratch[..<out.pos]), to: &output, allowed: allowed)
            decodedBytes += out.pos

            if result.rawValue == 0 {
                // The frame is decoded and fully flushed; libzstd stops at its last byte.
                isInsideFrame = false
                hasCompletedFrame = true
            } else if input.pos > consumedBefore {
                isInsideFrame = true
            }
            // A full output buffer may mean libzstd holds more decoded bytes: call again to flush.
            if input.pos == input.size && out.pos < out.size {
                return
            }
        }
    }

    /// Rejects a frame whose header declares more content than the limit still allows, before
    /// decoding any of it, and otherwise reserves room for the declared content.
    ///
    /// Only an early exit: the header is untrusted, so the limit is enforced while decoding too.
    private func checkDeclaredSize(ofFrameAt bytes: UnsafeRawBufferPointer, output: inout [UInt8]) throws(ZstdError) {
        let declared = ZSTD_getFrameContentSize(bytes.baseAddress, bytes.count)
        // UNKNOWN: a streamed frame. ERROR: the header is split across pieces or invalid; decoding
        // will either complete it or report the error.
        guard declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR else {
            return
        }
        let allowed = maximumOutputBytes - decodedBytes
        guard declared <= UInt64(allowed) else {
            throw ZstdError(
                .sizeLimitExceeded,
                "frame declares \(declared) bytes of content, over the \(maximumOutputBytes)-byte limit"
            )
        }
        // Within the limit, so this cannot allocate past it even if the header lies.
        output.reserveCapacity(output.count + Int(declared))
    }

    /// Appends `chunk`, growing `output` geometrically but never beyond `allowed` more bytes.
    private func append(_ chunk: UnsafeRawBufferPointer, to output: inout [UInt8], allowed: Int) {
        let required = output.count + chunk.count
        if required > output.capacity {
            // Array's own growth doubles the capacity, which could allocate up to twice the limit.
            output.reserveCapacity(min(max(output.capacity * 2, required), output.count + allowed))
        }
        output.append(contentsOf: chunk)
    }
}

@available(*, unavailable)
extension ZstdDecompressor: Sendable {}
