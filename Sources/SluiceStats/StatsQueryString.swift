/// Splits a URL's query string into its parameters, percent-decoded, as browsers and HTTP clients encode
/// them (`application/x-www-form-urlencoded`: `&` between pairs, `+` for a space, `%XX` for a byte).
package enum StatsQueryString {
    /// - Parameter query: the text after `?` (without the `#fragment`), or nil when there is none.
    /// - Returns: the pairs in order; a name without `=` has an empty value; empty pieces (`a=1&&b=2`) are
    ///   skipped.
    /// - Throws: ``StatsError`` (`invalidParameter`) naming the parameter whose name or value is not valid
    ///   percent-encoded UTF-8.
    package static func pairs(_ query: String?) throws(StatsError) -> [(name: String, value: String)] {
        guard let query, !query.isEmpty else { return [] }
        var pairs: [(name: String, value: String)] = []
        for piece in query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let equals = piece.firstIndex(of: UInt8(ascii: "="))
            let rawName = equals.map { piece[..<$0] } ?? piece[...]
            let rawValue = equals.map { piece[piece.index(after: $0)...] } ?? piece[piece.endIndex...]
            guard let name = decode(rawName) else {
                throw StatsError(
                    .invalidParameter, parameter: String(decoding: rawName, as: UTF8.self),
                    "the name is not valid percent-encoded UTF-8"
                )
            }
            guard let value = decode(rawValue) else {
                throw StatsError(.invalidParameter, parameter: name, "not valid percent-encoded UTF-8")
            }
            pairs.append((name, value))
        }
        return pairs
    }

    /// Percent-decodes bytes (`+` is a space); nil for a malformed escape or bytes that are not UTF-8.
    static func decode(_ bytes: some Collection<UInt8>) -> String? {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var iterator = bytes.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): output.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    return nil
                }
                output.append(high << 4 | low)
            default: output.append(byte)
            }
        }
        return String(validating: output, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
