/// Writing JSON string literals by hand, for the hot paths and fixed output formats where building a
/// Foundation object tree first would cost more than the string itself (and would not keep key order).
public enum JSONString {
    /// Appends `text` as a quoted JSON string literal to `output`, escaping `"`, `\` and control characters.
    public static func append(_ text: some StringProtocol, to output: inout String) {
        output.append("\"")
        var pending = text.startIndex
        for index in text.unicodeScalars.indices {
            let scalar = text.unicodeScalars[index]
            guard scalar == "\"" || scalar == "\\" || scalar.value < 0x20 else { continue }
            output.append(contentsOf: text[pending..<index])
            switch scalar {
            case "\"": output.append("\\\"")
            case "\\": output.append("\\\\")
            case "\n": output.append("\\n")
            case "\r": output.append("\\r")
            case "\t": output.append("\\t")
            default:
                let hex = String(scalar.value, radix: 16)
                output.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            }
            pending = text.unicodeScalars.index(after: index)
        }
        output.append(contentsOf: text[pending...])
        output.append("\"")
    }

    /// `text` as a quoted JSON string literal.
    public static func quoted(_ text: some StringProtocol) -> String {
        var output = ""
        append(text, to: &output)
        return output
    }
}
