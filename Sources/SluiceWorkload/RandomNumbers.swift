// Random numbers for the synthetic workload: a seeded generator and weighted choices.

// MARK: - Random numbers

/// xoshiro256** (Blackman and Vigna), seeded through SplitMix64 as its authors recommend: small, fast and of
/// good statistical quality, and identical on every platform, unlike `SystemRandomNumberGenerator`.
package struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    package init(seed: UInt64) {
        var splitMix = seed
        func nextSplitMix() -> UInt64 {
            splitMix &+= 0x9E37_79B9_7F4A_7C15
            var z = splitMix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = nextSplitMix()
        s1 = nextSplitMix()
        s2 = nextSplitMix()
        s3 = nextSplitMix()
    }

    package mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// A number in `0..<bound` (Lemire's multiply-shift; the bias, below 2⁻⁴⁰ for our bounds, does not matter
    /// here, and skipping the rejection step keeps the stream simple to reason about).
    package mutating func below(_ bound: Int) -> Int {
        Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    package mutating func below(_ bound: Int64) -> Int64 {
        Int64(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// True with probability `probability`.
    package mutating func chance(_ probability: Double) -> Bool {
        Double(next() >> 11) * 0x1p-53 < probability
    }

    /// How many times a coin with `continuing` odds comes up in a row, at most `limit`.
    package mutating func geometric(continuing: Double, limit: Int) -> Int {
        var count = 0
        while count < limit && chance(continuing) { count += 1 }
        return count
    }

    /// A random version 4 UUID in its lowercase 36-character text form.
    package mutating func uuidString() -> String {
        let high = next() & 0xFFFF_FFFF_FFFF_0FFF | 0x0000_0000_0000_4000
        let low = next() & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000
        return String(unsafeUninitializedCapacity: 36) { buffer in
            var index = 0
            func put(_ value: UInt64, nibbles: Int) {
                for shift in stride(from: (nibbles - 1) * 4, through: 0, by: -4) {
                    buffer[index] = hexDigits[Int((value >> UInt64(shift)) & 0xF)]
                    index += 1
                }
            }
            put(high >> 32, nibbles: 8)
            buffer[index] = UInt8(ascii: "-")
            index += 1
            put(high >> 16, nibbles: 4)
            buffer[index] = UInt8(ascii: "-")
            index += 1
            put(high, nibbles: 4)
            buffer[index] = UInt8(ascii: "-")
            index += 1
            put(low >> 48, nibbles: 4)
            buffer[index] = UInt8(ascii: "-")
            index += 1
            put(low, nibbles: 12)
            return index
        }
    }

    /// `count` random lowercase hexadecimal digits (at most 16).
    package mutating func hexString(count: Int) -> String {
        let value = next()
        return String(unsafeUninitializedCapacity: count) { buffer in
            for index in 0..<count {
                buffer[index] = hexDigits[Int((value >> UInt64(index * 4)) & 0xF)]
            }
            return count
        }
    }

    /// An application user id such as `usr_4k2j9x0q1m`.
    mutating func userIDString() -> String {
        let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)
        var value = next()
        return "usr_"
            + String(unsafeUninitializedCapacity: 10) { buffer in
                for index in 0..<10 {
                    buffer[index] = alphabet[Int(value % 36)]
                    value /= 36
                }
                return 10
            }
    }
}

let hexDigits = Array("0123456789abcdef".utf8)

/// A fixed list of choices with integer weights, picked in proportion to them.
package struct WeightedTable<Element: Sendable>: Sendable {
    package let elements: [Element]
    private let cumulative: [Int]

    package init(_ entries: [(Element, Int)]) {
        elements = entries.map(\.0)
        var total = 0
        cumulative = entries.map {
            total += $0.1
            return total
        }
    }

    package func pick(using random: inout Xoshiro256StarStar) -> Element {
        let target = random.below(cumulative[cumulative.count - 1])
        var index = 0
        while cumulative[index] <= target { index += 1 }
        return elements[index]
    }
}
