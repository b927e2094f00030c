/// How a client's IP address is kept in `analytics.events.ip`: `sluice serve --ip-mode drop|truncate|hash`,
/// default `truncate`.
///
/// The raw address is never stored in any mode; see ``AddressPrivacy`` for what each mode writes.
public enum IPMode: String, Sendable, CaseIterable {
    /// Nothing is stored: the column is `NULL`.
    case drop
    /// The address's network: IPv4 /24 (`203.0.113.0/24`), IPv6 /48 (`2001:db8:1::/48`).
    case truncate
    /// A pseudonymous address in `fd00::/64` derived from SipHash-2-4 of the address under a salt that rotates at
    /// UTC midnight: stable for one visitor within a day, unlinkable across days.
    case hash
}
