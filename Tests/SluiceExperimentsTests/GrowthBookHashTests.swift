import SluiceExperiments
import Testing

/// GrowthBook's hash: the vectors published in SPECS.md and in GrowthBook's spec test cases, and strings outside
/// the Basic Multilingual Plane hashed as UTF-16 code units.
@Suite struct GrowthBookHashTests {
    /// The vectors quoted in SPECS.md.
    @Test func specsVectors() {
        #expect(GrowthBookHash.hash(seed: "", value: "a", version: 1) == 0.22)
        #expect(GrowthBookHash.hash(seed: "seed", value: "a", version: 2) == 0.0505)
        #expect(GrowthBookHash.hash(seed: "89123klj", value: "8952klfjas09ujkasdf", version: 2) == 0.124)
    }

    /// Every `hash` case of GrowthBook's cases.json: `[seed, value, version, expected]`, `null` for an unknown
    /// version.
    @Test func growthBookSpecCases() throws {
        let cases = GrowthBookCases.section("hash")
        #expect(cases.count == 15)
        for fields in cases {
            let seed = try #require(fields[0].string)
            let value = try #require(fields[1].string)
            let version = try #require(fields[2].double)
            let hash = GrowthBookHash.hash(seed: seed, value: value, version: Int(version))
            #expect(hash == fields[3].double, "hash(\(seed), \(value), \(version))")
        }
    }

    /// FNV-1a itself, against the algorithm's definition worked by hand over explicit code units.
    @Test func fnvIsFNV1aOverUTF16CodeUnits() {
        func reference(_ units: [UInt16]) -> UInt32 {
            var h: UInt32 = 0x811C_9DC5
            for unit in units { h = (h ^ UInt32(unit)) &* 0x0100_0193 }
            return h
        }
        #expect(GrowthBookHash.fnv1a32("") == 0x811C_9DC5)
        #expect(GrowthBookHash.fnv1a32("a") == 3_826_002_220)
        // U+1F600 is the surrogate pair D83D DE00; U+1F44D U+1F3FD (thumbs up, skin tone) two pairs.
        #expect(GrowthBookHash.fnv1a32("😀") == reference([0xD83D, 0xDE00]))
        #expect(GrowthBookHash.fnv1a32("😀") == 0xCB31_C4B8)
        // Hashing the code point 0x1F600 whole, as Python SDKs before 4.x did, gives another number.
        #expect(GrowthBookHash.fnv1a32("😀") != (0x811C_9DC5 ^ 0x1F600) &* 0x0100_0193)
        #expect(GrowthBookHash.fnv1a32("👍🏽") == reference([0xD83D, 0xDC4D, 0xD83C, 0xDFFD]))
        #expect(GrowthBookHash.fnv1a32("é") == reference([0xE9]))
        // Continuing a state equals hashing the concatenation.
        #expect(GrowthBookHash.fnv1a32("b", from: GrowthBookHash.fnv1a32("a")) == GrowthBookHash.fnv1a32("ab"))
    }

    /// Non-BMP and non-ASCII values, against an independent implementation over UTF-16 (Python's
    /// `str.encode("utf-16-le")`). The code-point hash of older Python SDKs gives other buckets for the emoji:
    /// 0.959, 0.4011, 0.446 and 0.1992 instead of these.
    @Test func nonBMPStringsHashAsSurrogatePairs() {
        #expect(GrowthBookHash.hash(seed: "", value: "😀", version: 1) == 0.472)
        #expect(GrowthBookHash.hash(seed: "seed", value: "user-😀-1", version: 2) == 0.7138)
        #expect(GrowthBookHash.hash(seed: "exp", value: "👍🏽", version: 1) == 0.107)
        #expect(GrowthBookHash.hash(seed: "exp", value: "👍🏽", version: 2) == 0.9964)
        #expect(GrowthBookHash.hash(seed: "", value: "é", version: 1) == 0.94)
        #expect(GrowthBookHash.hash(seed: "checkout-v2", value: "Zoë", version: 2) == 0.3233)
    }

    /// A definition's precomputed seed gives the same buckets as the plain function, for both versions.
    @Test func definitionBucketsEqualTheHashFunction() throws {
        for version in [ExperimentDefinition.HashVersion.v1, .v2] {
            let definition = try ExperimentDefinition(
                key: "checkout-v2", variations: [.string("a"), .string("b")], hashVersion: version, seed: "s33d-😀"
            )
            for value in ["", "1", "user-42", "😀😀", "anonymous-0b3c-44"] {
                #expect(
                    definition.bucket(value)
                        == GrowthBookHash.hash(seed: "s33d-😀", value: value, version: version.rawValue)
                )
            }
        }
    }
}
