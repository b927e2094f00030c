// SluiceTracker: the browser side of ingest: the first-party tracker script served at /sluice.js, and CORS on the
// Segment endpoints so pages of any origin can post to them.

/// Shrinks the tracker's JavaScript without renaming anything: comments go, and so does every run of whitespace
/// except one space between two word characters (`var x`, `return e`) or two `+` or two `-` (`a + +b`); a `;`
/// right before a `}` goes too (JavaScript inserts it there).
///
/// Deterministic and reproducible: the served script is `minify(source)`, recomputed at start-up. It understands
/// the subset of JavaScript the tracker is written in: `'…'` and `"…"` strings (copied verbatim, escapes included),
/// `//` and `/* */` comments, and `/` otherwise as division. A regular expression or template literal would be
/// mangled, so a backtick is refused and the tracker uses no regular expression literals (its header says so).
/// Statements must end with semicolons: newlines are removed.
package enum TrackerMinifier {
    /// - Throws: ``TrackerError`` (`.unsupportedSource`) for a backtick, an unterminated string or comment.
    package static func minify(_ source: String) throws(TrackerError) -> String {
        let bytes = Array(source.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        var separated = false  // whitespace or a comment since the last byte copied
        while index < bytes.count {
            let byte = bytes[index]
            let next = index + 1 < bytes.count ? bytes[index + 1] : 0
            switch byte {
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                var end = index + 1
                while end < bytes.count && bytes[end] != byte {
                    guard bytes[end] != UInt8(ascii: "\n") else { break }
                    end += bytes[end] == UInt8(ascii: "\\") ? 2 : 1
                }
                guard end < bytes.count, bytes[end] == byte else {
                    throw TrackerError(.unsupportedSource, "unterminated string at byte \(index)")
                }
                output.append(contentsOf: bytes[index...end])
                index = end + 1
                separated = false
                continue
            case UInt8(ascii: "`"):
                throw TrackerError(.unsupportedSource, "a template literal at byte \(index); use '…' strings")
            case UInt8(ascii: "/") where next == UInt8(ascii: "/"):
                while index < bytes.count && bytes[index] != UInt8(ascii: "\n") { index += 1 }
                separated = true
                continue
            case UInt8(ascii: "/") where next == UInt8(ascii: "*"):
                var end = index + 2
                while end + 1 < bytes.count && !(bytes[end] == UInt8(ascii: "*") && bytes[end + 1] == UInt8(ascii: "/")) {
                    end += 1
                }
                guard end + 1 < bytes.count else {
                    throw TrackerError(.unsupportedSource, "unterminated comment at byte \(index)")
                }
                index = end + 2
                separated = true
                continue
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                index += 1
                separated = true
                continue
            case UInt8(ascii: "}") where output.last == UInt8(ascii: ";"):
                output.removeLast()
            default:
                if separated, let previous = output.last, needsSpace(previous, byte) {
                    output.append(UInt8(ascii: " "))
                }
            }
            output.append(byte)
            index += 1
            separated = false
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Whether removing the whitespace between `left` and `right` would join two tokens into one.
    private static func needsSpace(_ left: UInt8, _ right: UInt8) -> Bool {
        (isWordByte(left) && isWordByte(right))
            || (left == right && (left == UInt8(ascii: "+") || left == UInt8(ascii: "-")))
    }

    /// Letters, digits, `_`, `$`, and any byte of a non-ASCII character (which may be part of an identifier).
    private static func isWordByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "$"), 0x80...:
            return true
        default:
            return false
        }
    }
}
