/// The `country` column: an ISO 3166-1 alpha-2 code from the event or from a trusted request header.
package enum CountryCode {
    /// The country for an event: `location` (Segment's `context.location.country`) when it is a two-letter code,
    /// else `header` (a configured trusted header such as Cloudflare's `CF-IPCountry`) when it is one, else `nil`.
    ///
    /// Codes are upper-cased; surrounding spaces and tabs are ignored. Country names (`"Germany"`) are not codes and
    /// are skipped. The "unknown" codes `XX` (Cloudflare) and `ZZ` (Unicode CLDR) count as absent, and so does
    /// Cloudflare's `T1` for Tor exit nodes, which is no country (it has a digit, so it is not a code).
    package static func resolve(location: String?, header: String?) -> String? {
        normalized(location) ?? normalized(header)
    }

    /// `text` as an upper-case two-letter code, or `nil` when it is not one or means "unknown".
    package static func normalized(_ text: String?) -> String? {
        guard let text else { return nil }
        var letters = text.utf8[...]
        while let first = letters.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
            letters = letters.dropFirst()
        }
        while let last = letters.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") {
            letters = letters.dropLast()
        }
        guard letters.count == 2, let first = letters.first, let second = letters.last,
            let high = upperLetter(first), let low = upperLetter(second)
        else { return nil }
        if high == low && (high == UInt8(ascii: "X") || high == UInt8(ascii: "Z")) { return nil }
        return String(decoding: [high, low], as: UTF8.self)
    }

    /// The upper-case form of an ASCII letter, or `nil` for any other byte.
    private static func upperLetter(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return byte
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return byte - 0x20
        default: return nil
        }
    }
}
