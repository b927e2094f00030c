#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address with a network prefix, PostgreSQL's `inet`.
///
/// A truncated client address (the default privacy treatment) keeps its prefix, e.g. `203.0.113.0/24`.
public struct InetAddress: Sendable, Hashable, CustomStringConvertible {
    public enum Family: Sendable, Hashable { case v4, v6 }

    public let family: Family
    /// 4 bytes for IPv4, 16 for IPv6, in network order.
    public let bytes: [UInt8]
    /// The number of leading bits that form the network: 0...32 or 0...128.
    public let prefixLength: UInt8

    /// Parses `203.0.113.7`, `2001:db8::1`, or either with a `/prefix`; `nil` when it is not an address.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let address = String(parts[0])
        var buffer = [UInt8](repeating: 0, count: 16)
        if address.contains(":") {
            guard inet_pton(AF_INET6, address, &buffer) == 1 else { return nil }
            family = .v6
            bytes = buffer
        } else {
            guard inet_pton(AF_INET, address, &buffer) == 1 else { return nil }
            family = .v4
            bytes = Array(buffer[0..<4])
        }
        let maximum = UInt8(bytes.count * 8)
        if parts.count == 2 {
            guard let prefix = UInt8(parts[1]), prefix <= maximum else { return nil }
            prefixLength = prefix
        } else {
            prefixLength = maximum
        }
    }

    /// An address from raw network-order bytes (4 or 16 of them).
    public init?(bytes: [UInt8], prefixLength: UInt8? = nil) {
        switch bytes.count {
        case 4: family = .v4
        case 16: family = .v6
        default: return nil
        }
        let maximum = UInt8(bytes.count * 8)
        guard (prefixLength ?? maximum) <= maximum else { return nil }
        self.bytes = bytes
        self.prefixLength = prefixLength ?? maximum
    }

    /// The address with every bit after the first `bits` cleared and the prefix set to `bits`.
    public func truncated(to bits: UInt8) -> InetAddress {
        let kept = min(bits, UInt8(bytes.count * 8))
        var masked = bytes
        for index in masked.indices {
            let start = index * 8
            if start >= Int(kept) {
                masked[index] = 0
            } else if start + 8 > Int(kept) {
                masked[index] &= UInt8(truncatingIfNeeded: 0xFF << (8 - (Int(kept) - start)))
            }
        }
        return InetAddress(bytes: masked, prefixLength: kept)!
    }

    /// PostgreSQL's text form: the address, then `/prefix` unless it covers the whole address.
    public var description: String {
        var buffer = [UInt8](repeating: 0, count: 64)
        let family = self.family == .v4 ? AF_INET : AF_INET6
        buffer.withUnsafeMutableBytes { output in
            _ = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, output.baseAddress, socklen_t(output.count)) }
        }
        let address = String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
        return prefixLength == UInt8(bytes.count * 8) ? address : "\(address)/\(prefixLength)"
    }
}
