import CZstd

/// Compresses bytes into zstd frames that carry a content checksum, reusing one libzstd context.
///
/// Use ``compress(_:into:)`` when the whole input is at hand, or ``beginFrame(pledgedSize:)``,
/// ``write(_:into:)`` and ``endFrame(into:)`` to compress an input that arrives in pieces. Either
/// way the output is appended to the caller's array, frame after frame, so frames written back to
/// back form one valid zstd stream.
///
/// Every frame has its checksum flag set: the decompressor verifies a 32-bit XXH64 checksum of the
/// content and reports a mismatch as ``ZstdError/Code-swift.struct/corrupt``.
///
/// Not thread-safe and not `Sendable`: one owner uses it at a time. Keeping a compressor around and
/// reusing it avoids reallocating libzstd's context (several hundred KiB to MiB, by level).
public final class ZstdCompressor {
    /// The compression level every frame uses.
    public let level: Int

    /// The default level: zstd's own default, a good speed/ratio trade for event batches.
    public static let defaultLevel = 3

    /// The levels this libzstd accepts, negative ones (fastest) included; 0 means the default level.
    public static var supportedLevels: ClosedRange<Int> {
        Int(ZSTD_minCLevel())...Int(ZSTD_maxCLevel())
    }

    private let context: OpaquePointer
    /// Where libzstd writes compressed bytes before they are appended to the caller's array.
    private let scratch: UnsafeMutableRawBufferPointer
    private var isInFrame = false

    /// Creates a compressor that writes frames at `level`, with content checksums.
    ///
    /// - Throws: `.invalidParameter` if `level` is outside ``supportedLevels``; `.compression` if
    ///   libzstd cannot allocate or configure its context.
    public init(level: Int = ZstdCompressor.defaultLevel) throws(ZstdError) {
        let levels = Self.supportedLevels
        guard levels.contains(level) else {
            throw ZstdError(.invalidParameter, "compression level \(level) is outside \(levels)")
        }
        guard let context = ZSTD_createCCtx() else {
            throw ZstdError(.compression, "could not allocate a compression context")
        }
        do {
            _ = try ZstdResult(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, Int32(level)))
                .get(.invalidParameter, "libzstd rejected compression level \(level)")
            _ = try ZstdResult(ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1))
                .get(.compression, "could not enable frame checksums")
        } catch {
            ZSTD_freeCCtx(context)
            throw error
        }
        self.level = level
        self.context = context
        self.scratch = .allocate(byteCount: ZSTD_CStreamOutSize(), alignment: 1)
    }

    deinit {
        ZSTD_freeCCtx(context)
        scratch.deallocate()
    }

    /// Compresses `bytes` into a new array holding one frame.
    ///
    /// - Throws: `.invalidParameter` for a level outside ``supportedLevels``; `.compression` if
    ///   libzstd fails.
    public static func compress(
        _ bytes: some Collection<UInt8>,
        level: Int = defaultLevel
    ) throws(ZstdError) -> [UInt8] {
        var output: [UInt8] = []
        try ZstdCompressor(level: level).compress(bytes, into: &output)
        return output
    }

    /// Appends one complete frame holding `input` to `output`.
    ///
    /// The frame header records the content size, so a decompressor can refuse an oversized frame
    /// before decoding it. Abandons any frame begun with ``beginFrame(pledgedSize:)``.
    ///
    /// - Throws: `.compression` if libzstd fails; `output` may then hold part of a frame.
    public func compress(_ input: some Collection<UInt8>, into output: inout [UInt8]) throws(ZstdError) {
        try input.withZstdBytes { (bytes) throws(ZstdError) in
            try beginFrame(pledgedSize: bytes.count)
            try endFrame(with: bytes, into: &output)
        }
    }

    /// Starts a new frame, to be fed with ``write(_:into:)`` and closed with ``endFrame(into:)``.
    ///
    /// Abandons any frame still open. With `pledgedSize` (in bytes), the header records the content
    /// size and ``endFrame(into:)`` throws if the bytes written differ from it; without it, the
    /// frame's size is unknown until it is decoded.
    ///
    /// - Throws: `.invalidParameter` for a negative `pledgedSize`; `.compression` if libzstd fails.
    public func beginFrame(pledgedSize: Int? = nil) throws(ZstdError) {
        isInFrame = false
        _ = try ZstdResult(ZSTD_CCtx_reset(context, ZSTD_reset_session_only))
            .get(.compression, "could not reset the compression context")
        if let pledgedSize {
            guard pledgedSize >= 0 else {
                throw ZstdError(.invalidParameter, "pledged size \(pledgedSize) is negative")
            }
            _ = try ZstdResult(ZSTD_CCtx_setPledgedSrcSize(context, UInt64(pledgedSize)))
                .get(.compression, "could not pledge a \(pledgedSize)-byte frame")
        }
        isInFrame = true
    }

    /// Compresses `bytes` into the open frame, appending whatever compressed output is ready.
    ///
    /// libzstd buffers input up to a block (128 KiB), so a small write may append nothing yet.
    ///
    /// - Throws: `.compression` if no frame is open or libzstd fails; after a throw, start again
    ///   with ``beginFrame(pledgedSize:)``.
    public func write(_ bytes: some Collection<UInt8>, into output: inout [UInt8]) throws(ZstdError) {
        try bytes.withZstdBytes { (bytes) throws(ZstdError) in
            try run(bytes, directive: ZSTD_e_continue, into: &output)
        }
    }

    /// Finishes the open frame: appends the rest of its compressed data and its checksum.
    ///
    /// - Throws: `.compression` if no frame is open, if the bytes written differ from the pledged
    ///   size, or if libzstd fails.
    public func endFrame(into output: inout [UInt8]) throws(ZstdError) {
        try endFrame(with: UnsafeRawBufferPointer(start: nil, count: 0), into: &output)
    }

    private func endFrame(with bytes: UnsafeRawBufferPointer, into output: inout [UInt8]) throws(ZstdError) {
        try run(bytes, directive: ZSTD_e_end, into: &output)
        isInFrame = false
    }

    /// Feeds `bytes` to `ZSTD_compressStream2` until it has consumed them all and, for
    /// `ZSTD_e_end`, until the frame is completely flushed.
    private func run(
        _ bytes: UnsafeRawBufferPointer,
        directive: ZSTD_EndDirective,
        into output: inout [UInt8]
    ) throws(ZstdError) {
        guard isInFrame else {
            throw ZstdError(.compression, "no frame is open; call beginFrame() first")
        }
        let endsFrame = directive == ZSTD_e_end
        var input = ZSTD_inBuffer(src: bytes.baseAddress, size: bytes.count, pos: 0)
        while true {
            var out = ZSTD_outBuffer(dst: scratch.baseAddress, size: scratch.count, pos: 0)
            let result = ZstdResult(ZSTD_compressStream2(context, &out, &input, directive))
            if result.isError {
                isInFrame = false
                throw ZstdError(.compression, "could not compress", zstdResult: result.rawValue)
            }
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[..<out.pos]))
            // For ZSTD_e_end the result is the number of bytes still to flush; for ZSTD_e_continue
            // it is a hint, and the call is done once the input is consumed.
            if endsFrame ? result.rawValue == 0 : input.pos == input.size {
                return
            }
        }
    }
}

@available(*, unavailable)
extension ZstdCompressor: Sendable {}
