import SluiceTestSupport

/// Deterministic test inputs, so a failure reproduces.
enum TestBytes {
    /// `count` pseudo-random bytes from `seed`: incompressible, so zstd stores them in raw blocks.
    static func random(count: Int, seed: UInt64 = 1) -> [UInt8] {
        var generator = SplitMix64(seed: seed)
        var bytes = [UInt8]()
        bytes.reserveCapacity(count + 8)
        while bytes.count < count {
            withUnsafeBytes(of: generator.next().littleEndian) { bytes.append(contentsOf: $0) }
        }
        bytes.removeLast(bytes.count - count)
        return bytes
    }

    /// `count` bytes alternating random stretches, repeated JSON-like text and runs of one byte,
    /// like a batch of analytics events with some binary payloads.
    static func mixed(count: Int, seed: UInt64 = 2) -> [UInt8] {
        var generator = SplitMix64(seed: seed)
        let text = Array(#"{"event":"page_view","path":"/pricing","session":"4f1c","ms":1234}"#.utf8)
        var bytes = [UInt8]()
        bytes.reserveCapacity(count)
        while bytes.count < count {
            let length = Int(generator.next() % 8192) + 1
            switch generator.next() % 3 {
            case 0: bytes += random(count: length, seed: generator.next())
            case 1: bytes += (0..<length).map { text[$0 % text.count] }
            default: bytes += repeatElement(UInt8(truncatingIfNeeded: generator.next()), count: length)
            }
        }
        bytes.removeLast(bytes.count - count)
        return bytes
    }

    /// Splits `bytes` into consecutive pieces of `size` bytes (the last may be shorter).
    static func pieces(of bytes: [UInt8], size: Int) -> [ArraySlice<UInt8>] {
        stride(from: 0, to: bytes.count, by: size).map { bytes[$0..<min($0 + size, bytes.count)] }
    }
}
