/// The parts of a page URL that analytics keeps: host, path and query.
///
/// Not a general URL parser: it splits `scheme://userinfo@host:port/path?query#fragment` (or a relative
/// `/path?query`) at its delimiters on the UTF-8 bytes, without Foundation, because it runs for every event.
/// The path and query are kept as given (not percent-decoded) and only become strings when asked for; the host is
/// normalised for grouping (see ``host``).
package struct PageURL: Sendable, Equatable {
    /// The URL as given.
    package let url: String
    /// The host in lower case, without user info, port, a leading `www.` or a trailing dot; `nil` for a relative URL.
    /// An IPv6 literal keeps its brackets (`[2001:db8::1]`). At most ``maximumHostLength`` bytes.
    package let host: String?
    /// Byte offsets in `url` of the path and of the query (after `?`, before `#`; `nil` when absent or empty).
    private let pathRange: Range<Int>
    private let queryRange: Range<Int>?

    /// The longest host kept, in UTF-8 bytes: a DNS name has at most 253 characters; anything longer is not a host.
    package static let maximumHostLength = 253

    /// Splits `url`; `nil` when it is empty, has a scheme but no `//` authority (`mailto:`, `about:blank`), or has an
    /// empty, malformed or over-long host.
    package init?(_ url: String) {
        var text = url
        guard let parts = text.withUTF8({ Self.split($0) }) else { return nil }
        self.url = url
        host = parts.host
        pathRange = parts.path
        queryRange = parts.query
    }

    /// The path without query or fragment, exactly as given; `/` when the URL has none.
    package var path: String {
        pathRange.isEmpty ? "/" : slice(pathRange)
    }

    /// The raw query after `?` and before `#`, not decoded; `nil` when there is none or it is empty.
    package var query: String? {
        queryRange.map(slice)
    }

    /// The first query parameter called `name` (compared as given, case-sensitively), form-decoded: `+` is a space
    /// and `%XX` a byte. `""` when it is present without a value, `nil` when absent.
    package func queryValue(_ name: String) -> String? {
        guard let queryRange else { return nil }
        var text = url
        var wanted = name
        return text.withUTF8 { bytes in
            wanted.withUTF8 { wanted in
                var found: String?
                QueryString.forEachParameter(in: UnsafeBufferPointer(rebasing: bytes[queryRange])) { parameter, value in
                    guard parameter.elementsEqual(wanted) else { return true }
                    found = QueryString.decode(value)
                    return false
                }
                return found
            }
        }
    }

    /// The UTM parameters of the query; `nil` when it has none.
    package var campaign: Campaign? {
        guard let queryRange else { return nil }
        var text = url
        return text.withUTF8 { Campaign(queryBytes: UnsafeBufferPointer(rebasing: $0[queryRange])) }
    }

    /// The host of a referrer URL for the `referrer_host` column, or `nil` when there is nothing to attribute:
    /// an empty, relative or malformed referrer, or a same-site one (internal navigation).
    ///
    /// Same-site means the same host after normalisation (case, port, `www.`), so `https://www.example.com/a`
    /// is internal to `example.com`; a different subdomain (`blog.example.com`) counts as a referrer, since telling
    /// registrable domains apart would need the public suffix list.
    /// - Parameter pageHost: the page's host, normalised or not (`Example.com:443` works); `nil` when unknown.
    package static func referrerHost(_ referrer: String, pageHost: String?) -> String? {
        guard let referrerHost = PageURL(referrer)?.host else { return nil }
        if var pageHost {
            // Normalising is not idempotent (`www.www.a` loses one `www.` each time), so a host normalised
            // already, as ``host`` gives it, is compared as it is first.
            if pageHost == referrerHost { return nil }
            let page = pageHost.withUTF8 { normalizedHost($0, 0..<$0.count) }
            if page == referrerHost { return nil }
        }
        return referrerHost
    }

    /// The text of `range` of `url`, which starts and ends at ASCII delimiters and so on character boundaries.
    private func slice(_ range: Range<Int>) -> String {
        var text = url
        return text.withUTF8 { String(decoding: UnsafeBufferPointer(rebasing: $0[range]), as: UTF8.self) }
    }

    /// The normalised host and the path and query ranges of `bytes`, or `nil` (see ``init(_:)``).
    private static func split(
        _ bytes: UnsafeBufferPointer<UInt8>
    ) -> (host: String?, path: Range<Int>, query: Range<Int>?)? {
        guard !bytes.isEmpty else { return nil }
        var cursor = 0
        var host: String?
        var hasAuthority = false
        if let colon = schemeEnd(bytes) {
            guard colon + 2 < bytes.count, bytes[colon + 1] == UInt8(ascii: "/"), bytes[colon + 2] == UInt8(ascii: "/")
            else { return nil }
            cursor = colon + 3
            hasAuthority = true
        } else if bytes.count >= 2, bytes[0] == UInt8(ascii: "/"), bytes[1] == UInt8(ascii: "/") {
            cursor = 2
            hasAuthority = true
        }
        if hasAuthority {
            let authorityEnd = firstOffset(in: bytes, from: cursor) {
                $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#")
            }
            guard let normalized = normalizedHost(bytes, cursor..<authorityEnd) else { return nil }
            host = normalized
            cursor = authorityEnd
        }
        let pathEnd = firstOffset(in: bytes, from: cursor) { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }
        var query: Range<Int>?
        if pathEnd < bytes.count, bytes[pathEnd] == UInt8(ascii: "?") {
            let queryEnd = firstOffset(in: bytes, from: pathEnd + 1) { $0 == UInt8(ascii: "#") }
            if pathEnd + 1 < queryEnd { query = (pathEnd + 1)..<queryEnd }
        }
        return (host, cursor..<pathEnd, query)
    }

    /// The offset of the first byte at or after `start` that satisfies `predicate`, or `bytes.count`.
    @inline(__always)
    private static func firstOffset(
        in bytes: UnsafeBufferPointer<UInt8>, from start: Int, where predicate: (UInt8) -> Bool
    ) -> Int {
        var offset = start
        while offset < bytes.count, !predicate(bytes[offset]) { offset += 1 }
        return offset
    }

    /// The offset of the `:` ending a scheme (`ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`, RFC 3986), if any.
    private static func schemeEnd(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let first = bytes.first, ASCII.isAlphanumeric(first), !(first >= 0x30 && first <= 0x39) else {
            return nil
        }
        for offset in 1..<bytes.count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: ":") { return offset }
            guard
                ASCII.isAlphanumeric(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
                    || byte == UInt8(ascii: ".")
            else { return nil }
        }
        return nil
    }

    /// The host of the authority `bytes[range]` (`user:pass@Host:port`) in lower case without a leading `www.` or
    /// trailing dot; `nil` when empty, longer than ``maximumHostLength``, or when it holds a byte no host name can
    /// (space, quotes, angle brackets, …).
    private static func normalizedHost(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String? {
        var start = range.lowerBound
        var end = range.upperBound
        if let at = (start..<end).last(where: { bytes[$0] == UInt8(ascii: "@") }) {
            start = at + 1
        }
        if start < end, bytes[start] == UInt8(ascii: "[") {
            guard let close = (start..<end).first(where: { bytes[$0] == UInt8(ascii: "]") }) else { return nil }
            end = close + 1
        } else {
            end = (start..<end).first(where: { bytes[$0] == UInt8(ascii: ":") }) ?? end
        }
        if end > start, bytes[end - 1] == UInt8(ascii: ".") { end -= 1 }
        if end - start > 4, ASCII.lowercased(bytes[start]) == UInt8(ascii: "w"),
            ASCII.lowercased(bytes[start + 1]) == UInt8(ascii: "w"),
            ASCII.lowercased(bytes[start + 2]) == UInt8(ascii: "w"), bytes[start + 3] == UInt8(ascii: ".")
        {
            start += 4
        }
        guard end > start, end - start <= maximumHostLength, (start..<end).allSatisfy({ isHostByte(bytes[$0]) })
        else { return nil }
        return String(unsafeUninitializedCapacity: end - start) { output in
            for offset in start..<end {
                output[offset - start] = ASCII.lowercased(bytes[offset])
            }
            return end - start
        }
    }

    /// Letters, digits, `-._~%`, the brackets and colons of IPv6 literals, and non-ASCII bytes (IDN in UTF-8).
    private static func isHostByte(_ byte: UInt8) -> Bool {
        if byte >= 0x80 || ASCII.isAlphanumeric(byte) { return true }
        switch byte {
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "%"),
            UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: ":"):
            return true
        default:
            return false
        }
    }
}
