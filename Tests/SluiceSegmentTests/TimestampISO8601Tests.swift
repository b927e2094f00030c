import SluiceCore
import Testing

@testable import SluiceSegment

@Suite struct TimestampISO8601Tests {
    /// 2026-11-23T12:00:00Z in microseconds since the Unix epoch.
    static let noon: Int64 = 1_795_435_200_000_000

    static let accepted: [(String, Int64)] = [
        ("2026-11-23T12:00:00Z", noon),
        ("2026-11-23t12:00:00z", noon),
        ("2026-11-23 12:00:00Z", noon),
        ("2026-11-23T12:00:00", noon),
        ("2026-11-23T12:00Z", noon),
        ("2026-11-23T12:00:00.1Z", noon + 100_000),
        ("2026-11-23T12:00:00.123Z", noon + 123_000),
        ("2026-11-23T12:00:00,123Z", noon + 123_000),
        ("2026-11-23T12:00:00.123456Z", noon + 123_456),
        ("2026-11-23T12:00:00.123456789Z", noon + 123_457),
        ("2026-11-23T12:00:00.1234564Z", noon + 123_456),
        ("2026-11-23T12:00:00.9999995Z", noon + 1_000_000),
        ("2026-11-23T14:30:00+02:30", noon),
        ("2026-11-23T14:30:00+0230", noon),
        ("2026-11-23T14:00:00+02", noon),
        ("2026-11-23T07:00:00-05:00", noon),
        ("2026-11-23T12:00:00+00:00", noon),
        ("2026-11-24T01:59:59.5+13:59", noon + 59_500_000),
        ("2026-11-23", noon - 12 * 3_600_000_000),
        ("1970-01-01T00:00:00Z", 0),
        ("1969-12-31T23:59:59.5Z", -500_000),
        ("2000-01-01T00:00:00Z", Timestamp.postgresEpochOffset),
        ("2024-02-29T00:00:00Z", 1_709_164_800_000_000),
        ("2000-02-29", 951_782_400_000_000),
        ("2016-12-31T23:59:60Z", 1_483_228_800_000_000),
    ]

    @Test(arguments: accepted)
    func parses(_ text: String, _ micros: Int64) {
        #expect(Timestamp(iso8601: text)?.unixMicroseconds == micros)
    }

    static let refused = [
        "", "yesterday", "2026-11-23T", "2026-11-23T12", "2026-11-23T12:00:00ZZ", "2026-11-23T12:00:00+",
        "2026-11-23T12:00:00+2", "2026-11-23T12:00:00.Z", "2026-11-23T24:00:00Z", "2026-11-23T12:60:00Z",
        "2026-11-23T12:00:61Z", "2026-02-29", "2100-02-29", "2026-02-30T00:00:00Z", "2026-04-31", "2026-13-01",
        "2026-00-10", "2026-11-00", "26-11-23", "2026/11/23", "2026-11-23T12:00:00+24:00", "2026-11-23T12:00:00+02:60",
        " 2026-11-23", "2026-11-23 ", "2026-11-23T12:00:00 Z", "+2026-11-23", "1764000000",
    ]

    @Test(arguments: refused)
    func refuses(_ text: String) {
        #expect(Timestamp(iso8601: text) == nil)
    }

    @Test func parsesFromBytes() {
        let bytes = Array("2026-11-23T12:00:00Z".utf8)
        #expect(bytes.withUnsafeBytes { Timestamp(iso8601: $0) }?.unixMicroseconds == Self.noon)
    }

    static let formatted: [(Int64, String)] = [
        (noon, "2026-11-23T12:00:00Z"),
        (noon + 1, "2026-11-23T12:00:00.000001Z"),
        (noon + 500_000, "2026-11-23T12:00:00.500000Z"),
        (0, "1970-01-01T00:00:00Z"),
        (-1, "1969-12-31T23:59:59.999999Z"),
        (-86_400_000_000, "1969-12-31T00:00:00Z"),
        (951_782_400_000_000, "2000-02-29T00:00:00Z"),
        (253_402_300_799_000_000, "9999-12-31T23:59:59Z"),
    ]

    @Test(arguments: formatted)
    func formats(_ micros: Int64, _ text: String) {
        let timestamp = Timestamp(unixMicroseconds: micros)
        #expect(timestamp.iso8601String == text)
        #expect(Timestamp(iso8601: text) == timestamp)
    }

    @Test func roundTripsEveryDayOverCenturies() {
        // Every day from 1600 to 2400 (leap rules of all three kinds), at a time with a fraction.
        var day = Timestamp(iso8601: "1600-01-01T00:00:00Z")!.unixMicroseconds / 86_400_000_000
        let last = Timestamp(iso8601: "2400-12-31T00:00:00Z")!.unixMicroseconds / 86_400_000_000
        var previous = ""
        while day <= last {
            let timestamp = Timestamp(unixMicroseconds: day * 86_400_000_000 + 45_296_789_012)
            let text = timestamp.iso8601String
            #expect(text.hasSuffix("T12:34:56.789012Z"))
            #expect(text > previous)
            guard Timestamp(iso8601: text) == timestamp else {
                Issue.record("\(text) does not parse back to \(timestamp.unixMicroseconds)")
                return
            }
            previous = text
            day += 1
        }
    }
}
