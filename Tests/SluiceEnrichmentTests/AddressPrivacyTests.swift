import SluiceCore
import Testing

@testable import SluiceEnrichment

@Suite struct AddressPrivacyTests {
    private let secret: [UInt8] = Array("0123456789abcdef-test-secret".utf8)
    private let day = CalendarDay(year: 2026, month: 3, day: 14)!

    private func address(_ text: String) throws -> InetAddress {
        try #require(InetAddress(text))
    }

    @Test func dropStoresNothing() throws {
        let privacy = AddressPrivacy(mode: .drop, secret: secret)
        #expect(privacy.storedAddress(try address("203.0.113.7"), on: day) == nil)
        #expect(privacy.storedAddress(try address("2001:db8::1"), on: day) == nil)
    }

    @Test func truncateKeepsTheNetwork() throws {
        let privacy = AddressPrivacy(mode: .truncate, secret: secret)
        #expect(privacy.storedAddress(try address("203.0.113.77"), on: day)?.description == "203.0.113.0/24")
        #expect(
            privacy.storedAddress(try address("2001:db8:abcd:1234:5678:9abc:def0:1"), on: day)?.description
                == "2001:db8:abcd::/48"
        )
        #expect(privacy.storedAddress(try address("::ffff:198.51.100.200"), on: day)?.description == "198.51.100.0/24")
        // A shorter prefix the address already had is kept.
        #expect(privacy.storedAddress(try address("10.1.2.3/8"), on: day)?.description == "10.0.0.0/8")
    }

    @Test func truncatedBytesAreZeroAfterThePrefix() throws {
        let privacy = AddressPrivacy(mode: .truncate, secret: secret)
        let v4 = try #require(privacy.storedAddress(try address("192.0.2.255"), on: day))
        #expect(v4.bytes == [192, 0, 2, 0])
        #expect(v4.prefixLength == 24)
        let v6 = try #require(privacy.storedAddress(try address("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"), on: day))
        #expect(v6.bytes == [0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff] + [UInt8](repeating: 0, count: 10))
        #expect(v6.prefixLength == 48)
    }

    @Test func hashGivesAPseudonymInFD00() throws {
        let privacy = AddressPrivacy(mode: .hash, secret: secret)
        let raw = try address("203.0.113.7")
        let stored = try #require(privacy.storedAddress(raw, on: day))
        #expect(stored.family == .v6)
        #expect(stored.prefixLength == 128)
        #expect(Array(stored.bytes[0..<8]) == [0xfd, 0, 0, 0, 0, 0, 0, 0])
        #expect(stored.description.hasPrefix("fd00::"))
        #expect(!stored.description.contains("203.0.113"))
        // The last 8 bytes are the visitor hash, big-endian.
        let tag = privacy.visitorHash(address: raw, day: day)
        let tail = stored.bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        #expect(tail == tag)
    }

    @Test func hashIsStableWithinADayAndRotatesAcrossDays() throws {
        let privacy = AddressPrivacy(mode: .hash, secret: secret)
        let raw = try address("2001:db8::42")
        let today = privacy.storedAddress(raw, on: day)
        #expect(privacy.storedAddress(raw, on: day) == today)
        #expect(AddressPrivacy(mode: .hash, secret: secret).storedAddress(raw, on: day) == today)
        #expect(privacy.storedAddress(raw, on: day.adding(days: 1)) != today)
        #expect(privacy.storedAddress(raw, on: day.adding(days: -1)) != today)
    }

    @Test func hashDiffersPerSecretAndPerAddress() throws {
        let raw = try address("203.0.113.7")
        let one = AddressPrivacy(mode: .hash, secret: secret).storedAddress(raw, on: day)
        let other = AddressPrivacy(mode: .hash, secret: secret + [0]).storedAddress(raw, on: day)
        #expect(one != other)
        let neighbour = AddressPrivacy(mode: .hash, secret: secret).storedAddress(try address("203.0.113.8"), on: day)
        #expect(one != neighbour)
    }

    @Test func mappedAddressesHashLikeTheirIPv4Form() throws {
        let privacy = AddressPrivacy(mode: .hash, secret: secret)
        #expect(
            privacy.storedAddress(try address("::ffff:203.0.113.7"), on: day)
                == privacy.storedAddress(try address("203.0.113.7"), on: day)
        )
    }

    @Test func daySaltIsSipHashOfTheDayNumberUnderTheSecretKey() throws {
        // The documented derivation, step by step, with the reference-vector-tested SipHash-2-4 and message bytes
        // built here: the secret folded into a 128-bit key by two tags under fixed public keys; the day's salt is
        // the tags of (day number, 0) and (day number, 1), 16 little-endian bytes each, under that key; an
        // address's hash is its bytes' tag under the salt, stored as fd00:: followed by the tag big-endian.
        let secretKey = SipHash(
            k0: SipHash(k0: 0x5369_6c75_6963_6531, k1: 0x6970_2d73_6565_6430).hash(secret),
            k1: SipHash(k0: 0x5369_6c75_6963_6532, k1: 0x6970_2d73_6565_6431).hash(secret)
        )
        func message(day number: UInt64, index: UInt64) -> [UInt8] {
            (0..<8).map { UInt8(truncatingIfNeeded: number >> (8 * $0)) }
                + (0..<8).map { UInt8(truncatingIfNeeded: index >> (8 * $0)) }
        }
        let piDay: UInt64 = 20_526  // 2026-03-14, days since 1970-01-01
        #expect(message(day: piDay, index: 1) == [0x2e, 0x50, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
        let expected = SipHash(
            k0: secretKey.hash(message(day: piDay, index: 0)), k1: secretKey.hash(message(day: piDay, index: 1))
        )

        let privacy = AddressPrivacy(mode: .hash, secret: secret)
        let salt = privacy.salt(for: day)
        #expect(salt.k0 == expected.k0)
        #expect(salt.k1 == expected.k1)
        let tomorrow = privacy.salt(for: day.adding(days: 1))
        #expect(tomorrow.k0 == secretKey.hash(message(day: piDay + 1, index: 0)))
        #expect(tomorrow.k1 == secretKey.hash(message(day: piDay + 1, index: 1)))

        let tag = expected.hash([203, 0, 113, 7])
        #expect(privacy.visitorHash(address: try address("203.0.113.7"), day: day) == tag)
        let pseudonym = [0xfd, 0, 0, 0, 0, 0, 0, 0] + (0..<8).map { UInt8(truncatingIfNeeded: tag >> (56 - 8 * $0)) }
        #expect(privacy.storedAddress(try address("203.0.113.7"), on: day)?.bytes == pseudonym)
    }

    @Test func unmappedLeavesOtherAddressesAlone() throws {
        #expect(AddressPrivacy.unmapped(try address("::ffff:1.2.3.4")) == (try address("1.2.3.4")))
        #expect(AddressPrivacy.unmapped(try address("::1.2.3.4")) == (try address("::1.2.3.4")))
        #expect(AddressPrivacy.unmapped(try address("2001:db8::1")) == (try address("2001:db8::1")))
    }
}
