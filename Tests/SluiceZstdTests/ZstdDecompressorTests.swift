import SluiceZstd
import Testing

/// A frame compressed from a stream, so its header does not declare the content size.
private func streamedFrame(_ data: [UInt8]) throws -> [UInt8] {
    let compressor = try ZstdCompressor()
    var frame: [UInt8] = []
    try compressor.beginFrame()
    try compressor.write(data, into: &frame)
    try compressor.endFrame(into: &frame)
    return frame
}

/// A hand-built frame holding the single byte "x" in a raw block, with a window of 2^`windowLog` bytes.
private func frameWithWindow(log windowLog: Int) -> [UInt8] {
    let magic: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]
    let descriptor: UInt8 = 0  // no checksum, no content size, not single-segment: a window descriptor follows
    let window = UInt8((windowLog - 10) << 3)  // exponent in the high 5 bits, mantissa 0
    let lastRawBlockOfOneByte: [UInt8] = [0x09, 0x00, 0x00]  // last = 1, type raw = 0, size 1 << 3
    return magic + [descriptor, window] + lastRawBlockOfOneByte + [UInt8(ascii: "x")]
}

@Suite struct ZstdDecompressorTests {
    @Test(arguments: [1, 7, 64 << 10])
    func decodesInputFedInPieces(pieceSize: Int) throws {
        let data = TestBytes.mixed(count: pieceSize == 1 ? 200_000 : 3 << 20, seed: UInt64(pieceSize) + 100)
        let frame = try ZstdCompressor.compress(data)
        let decompressor = try ZstdDecompressor(maximumOutputBytes: data.count)
        var output: [UInt8] = []
        for piece in TestBytes.pieces(of: frame, size: pieceSize) {
            try decompressor.feed(piece, into: &output)
        }
        try decompressor.finish()
        #expect(output == data)
    }

    @Test func flippedPayloadByteFailsTheChecksum() throws {
        // Random bytes do not compress, so zstd stores them verbatim in a raw block: a flipped byte
        // there still decodes, and only the frame checksum can catch it.
        let data = TestBytes.random(count: 4096)
        var frame = try ZstdCompressor.compress(data)
        #expect(frame.count > data.count)
        #expect(try ZstdDecompressor.decompress(frame, maximumOutputBytes: data.count) == data)

        frame[frame.count / 2] ^= 0x01
        let error = #expect(throws: ZstdError.self) {
            _ = try ZstdDecompressor.decompress(frame, maximumOutputBytes: data.count)
        }
        #expect(error?.code == .corrupt)
        #expect(error?.zstdErrorName?.contains("checksum") == true)
    }

    @Test func flippedChecksumByteIsCorrupt() throws {
        var frame = try ZstdCompressor.compress(TestBytes.mixed(count: 100_000))
        frame[frame.count - 1] ^= 0x80
        let error = #expect(throws: ZstdError.self) {
            _ = try ZstdDecompressor.decompress(frame, maximumOutputBytes: 100_000)
        }
        #expect(error?.code == .corrupt)
    }

    @Test(arguments: [1, 4, 1000])
    func truncatedFrameThrowsTruncated(droppedBytes: Int) throws {
        let data = TestBytes.mixed(count: 100_000, seed: 3)
        let frame = try ZstdCompressor.compress(data)
        let truncated = Array(frame.dropLast(droppedBytes))
        #expect(ZstdDecompressor.frameSize(in: truncated) == nil)

        let error = #expect(throws: ZstdError.self) {
            _ = try ZstdDecompressor.decompress(truncated, maximumOutputBytes: data.count)
        }
        #expect(error?.code == .truncated)
    }

    @Test func streamEndingInsideAFrameThrowsTruncatedOnFinish() throws {
        let data = TestBytes.mixed(count: 100_000, seed: 4)
        let frame = try ZstdCompressor.compress(data)
        let decompressor = try ZstdDecompressor(maximumOutputBytes: data.count)
        var output: [UInt8] = []
        try decompressor.feed(frame[..<(frame.count / 2)], into: &output)
        let error = #expect(throws: ZstdError.self) { try decompressor.finish() }
        #expect(error?.code == .truncated)
        #expect(output.count < data.count)
    }

    @Test func completeFrameFollowedByATruncatedOneThrowsTruncated() throws {
        let data = TestBytes.mixed(count: 100_000, seed: 15)
        let frame = try ZstdCompressor.compress(data)
        let stream = frame + frame.prefix(frame.count / 2)
        let error = #expect(throws: ZstdError.self) {
            _ = try ZstdDecompressor.decompress(stream, maximumOutputBytes: 2 * data.count)
        }
        #expect(error?.code == .truncated)
        #expect(error?.message.contains("inside a frame") == true)
    }

    @Test func emptyInputThrowsTruncated() throws {
        let error = #expect(throws: ZstdError.self) {
            _ = try ZstdDecompressor.decompress([UInt8](), maximumOutputBytes: 10)
        }
        #expect(error?.code == .truncated)
        #expect(ZstdDecompressor.frameSize(in: [UInt8]()) == nil)
    }

    @Test func garbageIsCorrupt() throws {
        let garbage = TestBytes.random(count: 1000, seed: 5)
        let error = #expect(throws: ZstdError.self) {
            _ = try ZstdDecompressor.decompress(garbage, maximumOutputBytes: 1 << 20)
        }
        #expect(error?.code == .corrupt)
        #expect(error?.zstdErrorName != nil)
        #expect(ZstdDecompressor.frameSize(in: garbage) == nil)
    }

    @Test func garbageAfterAValidFrameIsCorrupt() throws {
        let frame = try ZstdCompressor.compress(Array("first".utf8))
        let error = #expect(throws: ZstdError.self) {
            _ = try ZstdDecompressor.decompress(frame + TestBytes.random(count: 100, seed: 6), maximumOutputBytes: 1000)
        }
        #expect(error?.code == .corrupt)
    }

    @Test func zstdBombStopsAtTheLimit() throws {
        // 1 GiB of zeros, compressed in 1 MiB pieces without ever holding the whole input.
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        let compressor = try ZstdCompressor()
        var bomb: [UInt8] = []
        try compressor.beginFrame()
        for _ in 0..<1024 {
            try compressor.write(zeros, into: &bomb)
        }
        try compressor.endFrame(into: &bomb)
        #expect(bomb.count < 256 << 10)

        // Not a power-of-two multiple of libzstd's 128 KiB output chunks, so plain doubling would overshoot it.
        let limit = 1_000_000
        let decompressor = try ZstdDecompressor(maximumOutputBytes: limit)
        var output: [UInt8] = []
        let error = #expect(throws: ZstdError.self) { try decompressor.decompress(bomb, into: &output) }
        #expect(error?.code == .sizeLimitExceeded)
        #expect(output.count <= limit)
        // Allow for malloc rounding, but not for Array's doubling past the limit.
        #expect(output.capacity <= limit + 16 << 10)
        #expect(output.allSatisfy { $0 == 0 })

        // Refused as soon as the limit is passed, not after inflating the rest: fed in small pieces, decoding
        // stops among the first compressed bytes (the limit is about 1/1000 of the content, so of the bomb too),
        // and the pieces after them are never read.
        let pieceSize = 64
        var fed = 0
        var pieceError: ZstdError?
        output = []
        for piece in TestBytes.pieces(of: bomb, size: pieceSize) {
            fed += piece.count
            do {
                try decompressor.feed(piece, into: &output)
            } catch {
                pieceError = error
                break
            }
        }
        #expect(pieceError?.code == .sizeLimitExceeded)
        #expect(output.count <= limit)
        #expect(fed < bomb.count / 64, "read \(fed) of the bomb's \(bomb.count) bytes before refusing it")
    }

    @Test func frameDeclaringMoreThanTheLimitIsRejectedBeforeDecoding() throws {
        let data = TestBytes.mixed(count: 2 << 20, seed: 7)
        let frame = try ZstdCompressor.compress(data)
        let decompressor = try ZstdDecompressor(maximumOutputBytes: 1 << 20)
        var output: [UInt8] = []
        let error = #expect(throws: ZstdError.self) { try decompressor.decompress(frame, into: &output) }
        #expect(error?.code == .sizeLimitExceeded)
        #expect(error?.description.contains("declares \(data.count) bytes") == true)
        #expect(output.isEmpty)
    }

    @Test(arguments: [true, false])
    func contentExactlyAtTheLimitDecodesAndOneByteMoreDoesNot(declaresSize: Bool) throws {
        let data = TestBytes.mixed(count: 300_000, seed: 8)
        let frame = declaresSize ? try ZstdCompressor.compress(data) : try streamedFrame(data)

        #expect(try ZstdDecompressor.decompress(frame, maximumOutputBytes: data.count) == data)

        var output: [UInt8] = []
        let error = #expect(throws: ZstdError.self) {
            try ZstdDecompressor(maximumOutputBytes: data.count - 1).decompress(frame, into: &output)
        }
        #expect(error?.code == .sizeLimitExceeded)
        #expect(output.count < data.count)
    }

    @Test func limitCountsEveryFrameInTheStream() throws {
        let data = TestBytes.mixed(count: 600_000, seed: 9)
        let frame = try streamedFrame(data)
        let decompressor = try ZstdDecompressor(maximumOutputBytes: 1_000_000)
        var output: [UInt8] = []
        let error = #expect(throws: ZstdError.self) { try decompressor.decompress(frame + frame, into: &output) }
        #expect(error?.code == .sizeLimitExceeded)
        #expect(output.count <= 1_000_000)
    }

    @Test func windowOverTheLimitIsRejected() throws {
        #expect(try ZstdDecompressor.decompress(frameWithWindow(log: 20), maximumOutputBytes: 1) == Array("x".utf8))
        #expect(
            try ZstdDecompressor.decompress(
                frameWithWindow(log: ZstdDecompressor.maximumWindowLog),
                maximumOutputBytes: 1
            ) == Array("x".utf8)
        )

        let error = #expect(throws: ZstdError.self) {
            _ = try ZstdDecompressor.decompress(
                frameWithWindow(log: ZstdDecompressor.maximumWindowLog + 1),
                maximumOutputBytes: 1
            )
        }
        #expect(error?.code == .sizeLimitExceeded)
        #expect(error?.zstdErrorName != nil)
    }

    @Test func framesBackToBackAllDecode() throws {
        let first = TestBytes.mixed(count: 150_000, seed: 10)
        let second = Array("a second, small frame".utf8)
        let stream = try ZstdCompressor.compress(first) + streamedFrame(second)
        #expect(try ZstdDecompressor.decompress(stream, maximumOutputBytes: 200_000) == first + second)

        let decompressor = try ZstdDecompressor(maximumOutputBytes: 200_000)
        var output: [UInt8] = []
        for piece in TestBytes.pieces(of: stream, size: 1000) {
            try decompressor.feed(piece, into: &output)
        }
        try decompressor.finish()
        #expect(output == first + second)
    }

    @Test func frameSizeFindsTheBoundaryBetweenFrames() throws {
        let first = try ZstdCompressor.compress(TestBytes.mixed(count: 150_000, seed: 11))
        let second = try streamedFrame(Array("second".utf8))
        let stream = first + second

        #expect(ZstdDecompressor.frameSize(in: stream) == first.count)
        #expect(ZstdDecompressor.frameSize(in: stream[first.count...]) == second.count)
        stream.withUnsafeBytes { bytes in
            #expect(ZstdDecompressor.frameSize(in: bytes) == first.count)
        }
        #expect(ZstdDecompressor.frameSize(in: first.dropLast()) == nil)
        #expect(ZstdDecompressor.frameSize(in: first.prefix(3)) == nil)
    }

    @Test func decompressorIsReusableAfterEachKindOfError() throws {
        let data = TestBytes.mixed(count: 50_000, seed: 12)
        let frame = try ZstdCompressor.compress(data)
        let decompressor = try ZstdDecompressor(maximumOutputBytes: data.count)
        var output: [UInt8] = []

        #expect(throws: ZstdError.self) { try decompressor.decompress(TestBytes.random(count: 64), into: &output) }
        #expect(throws: ZstdError.self) { try decompressor.decompress(frame.dropLast(), into: &output) }
        #expect(throws: ZstdError.self) { try decompressor.decompress(frame + frame, into: &output) }
        try decompressor.feed(frame.prefix(100), into: &output)
        #expect(throws: ZstdError.self) { try decompressor.finish() }

        output = []
        try decompressor.decompress(frame, into: &output)
        #expect(output == data)
    }

    @Test func eachStreamGetsAFreshBudget() throws {
        let data = TestBytes.mixed(count: 80_000, seed: 13)
        let frame = try streamedFrame(data)
        let decompressor = try ZstdDecompressor(maximumOutputBytes: data.count)
        for _ in 0..<3 {
            var output: [UInt8] = []
            try decompressor.feed(frame, into: &output)
            try decompressor.finish()
            #expect(output == data)
        }
    }

    @Test func negativeLimitIsRejected() {
        let error = #expect(throws: ZstdError.self) { try ZstdDecompressor(maximumOutputBytes: -1) }
        #expect(error?.code == .invalidParameter)
    }

    @Test func errorDescriptionIsOneLineWithTheZstdName() throws {
        let error = #expect(throws: ZstdError.self) {
            _ = try ZstdDecompressor.decompress(TestBytes.random(count: 100, seed: 14), maximumOutputBytes: 100)
        }
        let description = try #require(error?.description)
        let name = try #require(error?.zstdErrorName)
        #expect(description.hasPrefix("corrupt input: "))
        #expect(description.hasSuffix("(zstd: \(name))"))
        #expect(!description.contains("\n"))
    }
}
