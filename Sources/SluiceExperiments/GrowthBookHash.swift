/// GrowthBook's deterministic hash: 32-bit FNV-1a over UTF-16 code units, mapped to a number in [0, 1).
///
/// The JavaScript SDK (`charCodeAt`) and the Python SDK 4.x both hash UTF-16 code units, so a character outside the
/// Basic Multilingual Plane (an emoji) counts as its two surrogates. Nothing here allocates: the hash runs straight
/// over a string's UTF-16 code units (produced from its UTF-8 storage in place), and version 2's second round
/// over the decimal digits of the first, computed in place.
public enum GrowthBookHash {
    /// FNV-1a's 32-bit offset basis.
    public static let offsetBasis: UInt32 = 0x811C_9DC5
    /// FNV-1a's 32-bit prime.
    public static let prime: UInt32 = 0x0100_0193

    /// Feeds one UTF-16 code unit into an FNV-1a state.
    static func mix(_ state: UInt32, _ unit: UInt16) -> UInt32 {
        (state ^ UInt32(unit)) &* prime
    }

    /// Continues an FNV-1a state over the UTF-16 code units of `text`.
    ///
    /// A native Swift string stores UTF-8, and walking its `utf16` view transcodes one scalar at a time through
    /// generic index machinery; reading the UTF-8 bytes directly and producing the code units here (an ASCII
    /// byte is its own code unit) is what makes an assignment cost about a hundred nanoseconds, not three.
    public static func fnv1a32(_ text: String, from state: UInt32 = offsetBasis) -> UInt32 {
        var sink = SingleState(state: state)
        feed(text, to: &sink)
        return sink.state
    }

    /// Continues two FNV-1a states over the code units of `text` at once: the two multiply chains are
    /// independent, so the processor overlaps them and two hashes of one value cost little more than one (an
    /// assignment with a namespace hashes the user's value twice, with different seeds).
    static func fnv1a32(_ text: String, from first: UInt32, and second: UInt32) -> (UInt32, UInt32) {
        var sink = StatePair(first: first, second: second)
        feed(text, to: &sink)
        return (sink.first, sink.second)
    }

    /// FNV-1a over `text.utf16`, the definition (and the path for strings without contiguous UTF-8 storage).
    static func fnv1a32(utf16Of text: String, from state: UInt32) -> UInt32 {
        var state = state
        for unit in text.utf16 { state = mix(state, unit) }
        return state
    }

    /// What the code units of a string are fed into.
    protocol Sink {
        mutating func mix(_ unit: UInt16)
    }

    struct SingleState: Sink {
        var state: UInt32

        mutating func mix(_ unit: UInt16) {
            state = GrowthBookHash.mix(state, unit)
        }
    }

    struct StatePair: Sink {
        var first: UInt32
        var second: UInt32

        mutating func mix(_ unit: UInt16) {
            first = GrowthBookHash.mix(first, unit)
            second = GrowthBookHash.mix(second, unit)
        }
    }

    /// Feeds the UTF-16 code units of `text` to `sink`, from its UTF-8 storage when it has contiguous storage
    /// (native strings do), else through its `utf16` view.
    static func feed(_ text: String, to sink: inout some Sink) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { feed(utf8: $0, to: &sink) }
        if done == nil {
            for unit in text.utf16 { sink.mix(unit) }
        }
    }

    /// Feeds the UTF-16 code units of the string whose UTF-8 encoding is `bytes` to `sink`.
    ///
    /// `bytes` must be well-formed UTF-8, as a Swift string's storage always is: a lead byte is followed by all
    /// its continuation bytes, so the reads below stay inside the buffer. A scalar above U+FFFF becomes its
    /// surrogate pair, as `utf16` gives it.
    static func feed(utf8 bytes: UnsafeBufferPointer<UInt8>, to sink: inout some Sink) {
        var index = 0
        let count = bytes.count
        while index < count {
            let lead = UInt32(bytes[index])
            if lead < 0x80 {
                sink.mix(UInt16(truncatingIfNeeded: lead))
                index += 1
                continue
            }
            let scalar: UInt32
            if lead < 0xE0 {
                scalar = (lead & 0x1F) << 6 | UInt32(bytes[index + 1] & 0x3F)
                index += 2
            } else if lead < 0xF0 {
                scalar = (lead & 0x0F) << 12 | UInt32(bytes[index + 1] & 0x3F) << 6 | UInt32(bytes[index + 2] & 0x3F)
                index += 3
            } else {
                scalar =
                    (lead & 0x07) << 18 | UInt32(bytes[index + 1] & 0x3F) << 12 | UInt32(bytes[index + 2] & 0x3F) << 6
                    | UInt32(bytes[index + 3] & 0x3F)
                index += 4
            }
            if scalar < 0x1_0000 {
                sink.mix(UInt16(truncatingIfNeeded: scalar))
            } else {
                let offset = scalar - 0x1_0000
                sink.mix(UInt16(truncatingIfNeeded: 0xD800 + (offset >> 10)))
                sink.mix(UInt16(truncatingIfNeeded: 0xDC00 + (offset & 0x3FF)))
            }
        }
    }

    /// Continues an FNV-1a state over precomputed UTF-16 code units.
    static func fnv1a32(units: [UInt16], from state: UInt32) -> UInt32 {
        var state = state
        for unit in units { state = mix(state, unit) }
        return state
    }

    /// FNV-1a over the decimal digits of `number` (what hashing `String(number)` gives), without making the string.
    ///
    /// The digits are taken least significant first (divisions by the constant 10, which compile to multiplies),
    /// packed four bits each into one integer (a `UInt32` has at most 10 digits), then hashed most significant
    /// first.
    static func fnv1a32(decimalDigitsOf number: UInt32) -> UInt32 {
        var packed: UInt64 = 0
        var digits = 0
        var rest = number
        repeat {
            packed = packed << 4 | UInt64(rest % 10)
            rest /= 10
            digits += 1
        } while rest > 0
        var state = offsetBasis
        for _ in 0..<digits {
            state = mix(state, UInt16(truncatingIfNeeded: 0x30 + (packed & 0xF)))
            packed >>= 4
        }
        return state
    }

    /// Version 1: `(fnv(value + seed) mod 1000) / 1000`.
    static func bucketV1(_ valueThenSeed: UInt32) -> Double {
        Double(valueThenSeed % 1000) / 1000
    }

    /// Version 2: `(fnv(decimal string of fnv(seed + value)) mod 10000) / 10000`.
    static func bucketV2(_ seedThenValue: UInt32) -> Double {
        Double(fnv1a32(decimalDigitsOf: seedThenValue) % 10000) / 10000
    }

    /// GrowthBook's `hash(seed, value, version)`: a number in [0, 1), or `nil` for a version other than 1 or 2
    /// (as the SDKs answer `null`). Version 1 hashes `value + seed` to 3 decimals; version 2 hashes the decimal
    /// digits of `fnv(seed + value)` again, to 4 decimals, for a better spread.
    public static func hash(seed: String, value: String, version: Int) -> Double? {
        switch version {
        case 1: bucketV1(fnv1a32(seed, from: fnv1a32(value)))
        case 2: bucketV2(fnv1a32(value, from: fnv1a32(seed)))
        default: nil
        }
    }
}
