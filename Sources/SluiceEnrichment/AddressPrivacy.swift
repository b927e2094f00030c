import SluiceCore

/// Applies an ``IPMode`` to client addresses before anything is stored.
///
/// - `drop` stores nothing.
/// - `truncate` keeps the network: IPv4 /24, IPv6 /48 (an address that arrives with a shorter prefix keeps it).
/// - `hash` stores ``pseudonym(for:on:)``: `fd00::` followed by the 64-bit SipHash-2-4 tag of the address under the
///   day's salt, so the `inet` column still holds one value per visitor and day. The same address gets the same
///   pseudonym all through one UTC day and an unrelated one the next day; without the secret nobody can map a
///   pseudonym back by hashing every address (2^32 for IPv4 would otherwise be trivial). Pseudonyms sit in the
///   unique-local range `fd00::/8`, which is never routed on the internet, so one cannot pass for a real client.
///
/// The salt of a day is never stored: it is SipHash-2-4 of the day number keyed by the secret, recomputed when
/// needed, so once a day is over the server keeps nothing that links its pseudonyms to addresses other than the
/// secret itself.
///
/// An IPv4-mapped IPv6 address (`::ffff:203.0.113.7`, as dual-stack listeners report IPv4 peers) is treated as the
/// IPv4 address it carries, so it is neither kept almost whole under /48 nor hashed apart from the plain form.
///
/// A value type holding the mode and a 128-bit key: `Sendable`, free to copy; no method allocates beyond the bytes
/// of the address it returns.
package struct AddressPrivacy: Sendable {
    /// The mode applied.
    package let mode: IPMode
    /// The 128-bit key derived from the secret; each day's salt is a pair of tags under it.
    private let secretKey: SipHash

    /// A policy with `mode`; `secret` matters only for ``IPMode/hash``.
    ///
    /// - Parameter secret: the server's secret, any length; give it at least 16 random bytes and keep it in the
    ///   configuration. Whoever holds it can test guesses of an address against stored pseudonyms; a new secret
    ///   changes every pseudonym from then on.
    package init(mode: IPMode, secret: [UInt8]) {
        self.mode = mode
        // A secret of any length is folded into a full 128-bit key: two SipHash tags of it under fixed, distinct
        // public keys. Exactly 16 secret bytes would do as the key itself, but folding treats every length alike.
        let first = SipHash(k0: 0x5369_6c75_6963_6531, k1: 0x6970_2d73_6565_6430).hash(secret)
        let second = SipHash(k0: 0x5369_6c75_6963_6532, k1: 0x6970_2d73_6565_6431).hash(secret)
        secretKey = SipHash(k0: first, k1: second)
    }

    /// The value for the `ip` column on `day` (the UTC day the event was received): `nil` for `drop`, the /24 or
    /// /48 network for `truncate`, the day's pseudonym for `hash`.
    package func storedAddress(_ address: InetAddress, on day: CalendarDay) -> InetAddress? {
        switch mode {
        case .drop:
            return nil
        case .truncate:
            let address = Self.unmapped(address)
            let bits: UInt8 = address.family == .v4 ? 24 : 48
            return address.truncated(to: min(bits, address.prefixLength))
        case .hash:
            return pseudonym(for: address, on: day)
        }
    }

    /// The pseudonymous address of `address` on `day`: `fd00::/64` with the 64-bit tag
    /// ``visitorHash(address:day:)`` (big-endian) as its last 8 bytes, e.g. `fd00::8c1f:3a2e:9b40:17d5`.
    ///
    /// Computed in any mode; only ``storedAddress(_:on:)`` looks at the mode. A prefix on `address` is ignored.
    package func pseudonym(for address: InetAddress, on day: CalendarDay) -> InetAddress {
        let tag = visitorHash(address: address, day: day)
        var bytes = [UInt8](repeating: 0, count: 16)
        bytes[0] = 0xfd
        for index in 0..<8 {
            bytes[8 + index] = UInt8(truncatingIfNeeded: tag >> (56 - 8 * UInt64(index)))
        }
        return InetAddress(bytes: bytes)!
    }

    /// SipHash-2-4 of the address's bytes (4 for IPv4, 16 for IPv6, mapped addresses as IPv4) keyed by the salt of
    /// `day`: the same within one UTC day, unrelated across days, addresses and secrets.
    package func visitorHash(address: InetAddress, day: CalendarDay) -> UInt64 {
        let address = Self.unmapped(address)
        let salt = salt(for: day)
        return address.bytes.withUnsafeBytes { salt.hash($0) }
    }

    /// The day's salt, a 128-bit SipHash key: the tags under the secret key of (day number, 0) and (day number, 1),
    /// each message 16 little-endian bytes built on the stack. The day number counts days since 1970-01-01 UTC, so
    /// the salt changes at UTC midnight.
    func salt(for day: CalendarDay) -> SipHash {
        let number = UInt64(bitPattern: day.unixDay).littleEndian
        let k0 = withUnsafeBytes(of: (number, UInt64(0).littleEndian)) { secretKey.hash($0) }
        let k1 = withUnsafeBytes(of: (number, UInt64(1).littleEndian)) { secretKey.hash($0) }
        return SipHash(k0: k0, k1: k1)
    }

    /// The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:0:0/96`), or `address` unchanged.
    static func unmapped(_ address: InetAddress) -> InetAddress {
        guard address.family == .v6, address.bytes[0..<10].allSatisfy({ $0 == 0 }), address.bytes[10] == 0xff,
            address.bytes[11] == 0xff,
            let v4 = InetAddress(
                bytes: Array(address.bytes[12..<16]),
                prefixLength: UInt8(max(Int(address.prefixLength) - 96, 0))
            )
        else { return address }
        return v4
    }
}
