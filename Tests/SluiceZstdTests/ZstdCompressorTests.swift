import SluiceZstd
import Testing

/// The frame header descriptor (RFC 8878, 3.1.1.1.1) follows the 4-byte magic number.
private func frameHeaderDescriptor(_ frame: [UInt8]) -> UInt8 {
    frame[4]
}

/// Whether the frame header records the content size: a Frame_Content_Size_Flag or Single_Segment_Flag.
private func declaresContentSize(_ frame: [UInt8]) -> Bool {
    frameHeaderDescriptor(frame) & 0b1110_0000 != 0
}

@Suite struct ZstdCompressorTests {
    @Test func roundTripsEmptyInput() throws {
        let frame = try ZstdCompressor.compress([UInt8]())
        #expect(frame.starts(with: [0x28, 0xB5, 0x2F, 0xFD]))
        #expect(ZstdDecompressor.frameSize(in: frame) == frame.count)
        #expect(try ZstdDecompressor.decompress(frame, maximumOutputBytes: 0) == [])
    }

    @Test func roundTripsSmallText() throws {
        let text = Array(String(repeating: "sluice keeps every event; ", count: 40).utf8)
        let frame = try ZstdCompressor.compress(text)
        #expect(frame.count < text.count / 4)
        #expect(try ZstdDecompressor.decompress(frame, maximumOutputBytes: text.count) == text)
    }

    @Test func roundTripsTenMegabytesOfMixedData() throws {
        let data = TestBytes.mixed(count: 10 << 20)
        let frame = try ZstdCompressor.compress(data)
        #expect(frame.count < data.count)
        #expect(declaresContentSize(frame))
        let decoded = try ZstdDecompressor.decompress(frame, maximumOutputBytes: data.count)
        #expect(decoded.count == data.count)
        #expect(decoded == data)
    }

    @Test(arguments: [1, 7, 64 << 10])
    func compressesInputWrittenInPieces(pieceSize: Int) throws {
        let data = TestBytes.mixed(count: pieceSize == 1 ? 200_000 : 3 << 20, seed: UInt64(pieceSize))
        let compressor = try ZstdCompressor()
        var frame: [UInt8] = []
        try compressor.beginFrame()
        for piece in TestBytes.pieces(of: data, size: pieceSize) {
            try compressor.write(piece, into: &frame)
        }
        try compressor.endFrame(into: &frame)

        #expect(!declaresContentSize(frame))
        #expect(ZstdDecompressor.frameSize(in: frame) == frame.count)
        #expect(try ZstdDecompressor.decompress(frame, maximumOutputBytes: data.count) == data)
    }

    @Test func pledgedSizeIsRecordedInTheHeader() throws {
        let data = TestBytes.mixed(count: 300_000)
        let compressor = try ZstdCompressor()
        var frame: [UInt8] = []
        try compressor.beginFrame(pledgedSize: data.count)
        for piece in TestBytes.pieces(of: data, size: 10_000) {
            try compressor.write(piece, into: &frame)
        }
        try compressor.endFrame(into: &frame)

        #expect(declaresContentSize(frame))
        #expect(try ZstdDecompressor.decompress(frame, maximumOutputBytes: data.count) == data)
    }

    @Test func pledgedSizeMismatchThrows() throws {
        let compressor = try ZstdCompressor()
        var frame: [UInt8] = []
        try compressor.beginFrame(pledgedSize: 100)
        try compressor.write([UInt8](repeating: 7, count: 99), into: &frame)
        let error = #expect(throws: ZstdError.self) { try compressor.endFrame(into: &frame) }
        #expect(error?.code == .compression)
        #expect(error?.zstdErrorName != nil)
    }

    @Test func writeWithoutAnOpenFrameThrows() throws {
        let compressor = try ZstdCompressor()
        var output: [UInt8] = []
        let error = #expect(throws: ZstdError.self) { try compressor.write([1, 2, 3], into: &output) }
        #expect(error?.code == .compression)

        try compressor.beginFrame()
        try compressor.endFrame(into: &output)
        #expect(throws: ZstdError.self) { try compressor.endFrame(into: &output) }
    }

    @Test(arguments: [-5, 1, 3, 19])
    func roundTripsAtLevel(level: Int) throws {
        let data = TestBytes.mixed(count: 1 << 20, seed: 9)
        let compressor = try ZstdCompressor(level: level)
        #expect(compressor.level == level)
        let frame = try ZstdCompressor.compress(data, level: level)
        #expect(try ZstdDecompressor.decompress(frame, maximumOutputBytes: data.count) == data)
    }

    @Test func higherLevelsCompressBetter() throws {
        let data = TestBytes.mixed(count: 1 << 20, seed: 10)
        let fast = try ZstdCompressor.compress(data, level: 1)
        let strong = try ZstdCompressor.compress(data, level: 19)
        #expect(strong.count < fast.count)
    }

    @Test(arguments: [ZstdCompressor.supportedLevels.upperBound + 1, ZstdCompressor.supportedLevels.lowerBound - 1])
    func rejectsUnsupportedLevel(level: Int) {
        let error = #expect(throws: ZstdError.self) { try ZstdCompressor(level: level) }
        #expect(error?.code == .invalidParameter)
        #expect(error?.description.contains("\(level)") == true)
    }

    @Test func setsTheChecksumFlagInEveryFrame() throws {
        let compressor = try ZstdCompressor()
        var oneShot: [UInt8] = []
        try compressor.compress(Array("hello".utf8), into: &oneShot)
        var streamed: [UInt8] = []
        try compressor.beginFrame()
        try compressor.write(Array("hello".utf8), into: &streamed)
        try compressor.endFrame(into: &streamed)

        // Content_Checksum_flag is bit 2 of the frame header descriptor.
        #expect(frameHeaderDescriptor(oneShot) & 0b100 != 0)
        #expect(frameHeaderDescriptor(streamed) & 0b100 != 0)
    }

    @Test func reusedCompressorWritesIdenticalFrames() throws {
        let data = TestBytes.mixed(count: 500_000, seed: 11)
        let compressor = try ZstdCompressor()
        var first: [UInt8] = []
        try compressor.compress(data, into: &first)
        var second: [UInt8] = []
        try compressor.compress(data, into: &second)
        #expect(first == second)
    }

    @Test func oneShotCompressAbandonsAnOpenFrame() throws {
        let compressor = try ZstdCompressor()
        var discarded: [UInt8] = []
        try compressor.beginFrame()
        try compressor.write(TestBytes.random(count: 1000), into: &discarded)

        var frame: [UInt8] = []
        try compressor.compress(Array("only this".utf8), into: &frame)
        #expect(try ZstdDecompressor.decompress(frame, maximumOutputBytes: 100) == Array("only this".utf8))
    }

    @Test func compressesNonContiguousCollections() throws {
        let data = TestBytes.mixed(count: 50_000, seed: 12)
        let frame = try ZstdCompressor.compress(data.lazy.map { $0 })
        #expect(try ZstdDecompressor.decompress(frame, maximumOutputBytes: data.count) == data)
    }
}
