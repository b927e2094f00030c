/// SipHash-2-4, the keyed 64-bit pseudorandom function of Aumasson and Bernstein ("SipHash: a fast short-input
/// PRF", 2012): two compression rounds per 8-byte word, four finalisation rounds.
///
/// Used to pseudonymise client addresses under a secret key; with the key unknown, outputs cannot be linked to
/// inputs by trying every address, which an unkeyed hash of the 2^32 IPv4 addresses would allow.
struct SipHash {
    /// The 128-bit key as two little-endian 64-bit halves (`k0` from key bytes 0–7, `k1` from 8–15).
    let k0: UInt64
    let k1: UInt64

    init(k0: UInt64, k1: UInt64) {
        self.k0 = k0
        self.k1 = k1
    }

    /// A key from 16 bytes, read little-endian as the paper specifies.
    init(key: [UInt8]) {
        precondition(key.count == 16, "a SipHash key is 16 bytes")
        var k0: UInt64 = 0
        var k1: UInt64 = 0
        for index in (0..<8).reversed() {
            k0 = k0 << 8 | UInt64(key[index])
            k1 = k1 << 8 | UInt64(key[index + 8])
        }
        self.init(k0: k0, k1: k1)
    }

    /// The 64-bit tag of `message`.
    func hash(_ message: UnsafeRawBufferPointer) -> UInt64 {
        var v0 = k0 ^ 0x736f_6d65_7073_6575
        var v1 = k1 ^ 0x646f_7261_6e64_6f6d
        var v2 = k0 ^ 0x6c79_6765_6e65_7261
        var v3 = k1 ^ 0x7465_6462_7974_6573

        @inline(__always) func round() {
            v0 &+= v1
            v1 = v1.rotatedLeft(13)
            v1 ^= v0
            v0 = v0.rotatedLeft(32)
            v2 &+= v3
            v3 = v3.rotatedLeft(16)
            v3 ^= v2
            v0 &+= v3
            v3 = v3.rotatedLeft(21)
            v3 ^= v0
            v2 &+= v1
            v1 = v1.rotatedLeft(17)
            v1 ^= v2
            v2 = v2.rotatedLeft(32)
        }

        let length = message.count
        let wholeWords = length / 8 * 8
        var offset = 0
        while offset < wholeWords {
            let word = UInt64(littleEndian: message.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            v3 ^= word
            round()
            round()
            v0 ^= word
            offset += 8
        }
        // The last word: the remaining bytes, little-endian, with the message length mod 256 in the top byte.
        var last = UInt64(truncatingIfNeeded: length) << 56
        for index in 0..<(length - wholeWords) {
            last |= UInt64(message[wholeWords + index]) << (8 * UInt64(index))
        }
        v3 ^= last
        round()
        round()
        v0 ^= last
        v2 ^= 0xff
        round()
        round()
        round()
        round()
        return v0 ^ v1 ^ v2 ^ v3
    }

    /// The 64-bit tag of `message`.
    func hash(_ message: [UInt8]) -> UInt64 {
        message.withUnsafeBytes { hash($0) }
    }
}

extension UInt64 {
    @inline(__always) fileprivate func rotatedLeft(_ count: UInt64) -> UInt64 {
        self << count | self >> (64 - count)
    }
}
