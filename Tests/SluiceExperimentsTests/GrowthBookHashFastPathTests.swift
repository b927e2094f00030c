import SluiceTestSupport
import Testing

@testable import SluiceExperiments

/// The UTF-8 fast path of the hash gives exactly what hashing the `utf16` view gives, for strings of every
/// encoded length (1 to 4 UTF-8 bytes a scalar, surrogate pairs above U+FFFF), and two states advanced together
/// equal two advanced apart.
@Suite struct GrowthBookHashFastPathTests {
    /// Random strings mixing ASCII, two-, three- and four-byte scalars, from a fixed seed.
    static func strings() -> [String] {
        var random = SplitMix64(seed: 7)
        let ranges: [ClosedRange<UInt32>] = [
            0x20...0x7E, 0x80...0x7FF, 0x800...0xD7FF, 0xE000...0xFFFF, 0x1_0000...0x10_FFFF,
        ]
        var strings = ["", "a", "é", "€", "😀", "\u{7F}\u{80}\u{7FF}\u{800}\u{FFFF}\u{10000}\u{10FFFF}"]
        for _ in 0..<2000 {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...40, using: &random) {
                let range = ranges[Int.random(in: 0..<ranges.count, using: &random)]
                scalars.append(Unicode.Scalar(UInt32.random(in: range, using: &random))!)
            }
            strings.append(String(scalars))
        }
        return strings
    }

    @Test func fastPathEqualsTheUTF16View() {
        for text in Self.strings() {
            let reference = GrowthBookHash.fnv1a32(utf16Of: text, from: GrowthBookHash.offsetBasis)
            #expect(GrowthBookHash.fnv1a32(text) == reference, "\(text.unicodeScalars.map { $0.value })")
            // A small string (stored inline) and a large one take the same path to the same answer.
            #expect(GrowthBookHash.fnv1a32(text + text) == GrowthBookHash.fnv1a32(text, from: reference))
        }
    }

    @Test func pairedStatesEqualSeparateOnes() {
        for text in Self.strings().prefix(500) {
            let (first, second) = GrowthBookHash.fnv1a32(text, from: 12345, and: GrowthBookHash.offsetBasis)
            #expect(first == GrowthBookHash.fnv1a32(text, from: 12345))
            #expect(second == GrowthBookHash.fnv1a32(text))
        }
    }
}
