/// The `application/x-www-form-urlencoded` query of a URL: `name=value` pairs separated by `&`.
///
/// Works on the UTF-8 bytes in place (lent by `String.withUTF8`), so walking a query copies nothing; only a value
/// that is kept becomes a `String`.
package enum QueryString {
    /// Calls `body` with each parameter's raw name and raw value (empty when there is no `=`), in order, until
    /// `body` returns `false`. Empty pairs (`a=1&&b=2`) are skipped.
    package static func forEachParameter(
        in query: UnsafeBufferPointer<UInt8>,
        _ body: (_ name: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>) -> Bool
    ) {
        var start = 0
        while start < query.count {
            var end = start
            while end < query.count, query[end] != UInt8(ascii: "&") { end += 1 }
            if end > start {
                var equals = start
                while equals < end, query[equals] != UInt8(ascii: "=") { equals += 1 }
                let name = UnsafeBufferPointer(rebasing: query[start..<equals])
                let value = UnsafeBufferPointer(rebasing: query[min(equals + 1, end)..<end])
                if !body(name, value) { return }
            }
            start = end + 1
        }
    }

    /// Whether `bytes` spell `text` exactly.
    static func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ text: StaticString) -> Bool {
        guard bytes.count == text.utf8CodeUnitCount else { return false }
        let expected = UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        for index in 0..<bytes.count where bytes[index] != expected[index] { return false }
        return true
    }

    /// Decodes a form-encoded component: `+` is a space and `%XX` a byte; a `%` not followed by two hex digits is
    /// kept as it is, bytes that are not valid UTF-8 become U+FFFD, and a decoded NUL (`%00`) is left out, since
    /// PostgreSQL text cannot hold one.
    package static func decode(_ component: UnsafeBufferPointer<UInt8>) -> String {
        guard component.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else {
            return String(decoding: component, as: UTF8.self)
        }
        // Decoding never lengthens the text, so the raw length is enough capacity.
        return String(unsafeUninitializedCapacity: component.count) { output in
            var written = 0
            var index = 0
            while index < component.count {
                var byte = component[index]
                index += 1
                if byte == UInt8(ascii: "+") {
                    byte = UInt8(ascii: " ")
                } else if byte == UInt8(ascii: "%"), index + 1 < component.count,
                    let high = hexValue(component[index]), let low = hexValue(component[index + 1])
                {
                    byte = high << 4 | low
                    index += 2
                    if byte == 0 { continue }
                }
                output[written] = byte
                written += 1
            }
            return written
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
