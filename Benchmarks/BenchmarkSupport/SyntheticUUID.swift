/// An id in the form SDKs send messageIds and anonymous ids (a random, version 4 UUID in lower case, 36
/// characters), derived from `number` by SplitMix64 so that every run uses the same ids.
public func syntheticUUID(_ number: UInt64) -> String {
    func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    let high = mix(number &* 2) & 0xFFFF_FFFF_FFFF_0FFF | 0x0000_0000_0000_4000
    let low = mix(number &* 2 &+ 1) & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000
    let digits = Array("0123456789abcdef".utf8)
    return String(unsafeUninitializedCapacity: 36) { buffer in
        var index = 0
        for nibble in 0..<32 {
            if nibble == 8 || nibble == 12 || nibble == 16 || nibble == 20 {
                buffer[index] = UInt8(ascii: "-")
                index += 1
            }
            let word = nibble < 16 ? high : low
            buffer[index] = digits[Int((word >> UInt64(60 - 4 * (nibble % 16))) & 0xF)]
            index += 1
        }
        return index
    }
}
