/// A fuzzer's bytes read as one ingest request: four header lines, then the body.
///
/// ```
/// batch                      the endpoint: batch, track, page, screen, identify, group or alias
/// gzip                       Content-Encoding (empty: none)
/// Basic d2tfMTIzOg==         Authorization (empty: none)
/// DE                         the trusted country header (empty: none)
/// {"batch":[…]}              the body, raw (compressed when Content-Encoding says so)
/// ```
///
/// Lines end at `\n`; missing lines are empty, so every byte string is some request. The text form keeps
/// the seed corpus readable and lets libFuzzer's mutations reach each header on its own.
package struct RequestInput: Sendable, Equatable {
    package var endpoint: String
    package var contentEncoding: String?
    package var authorization: String?
    package var country: String?
    package var body: [UInt8]

    package init(endpoint: String, contentEncoding: String?, authorization: String?, country: String?, body: [UInt8]) {
        self.endpoint = endpoint
        self.contentEncoding = contentEncoding
        self.authorization = authorization
        self.country = country
        self.body = body
    }

    /// Splits `bytes` into the four lines and the body.
    package init(_ bytes: some Collection<UInt8>) {
        var lines: [String] = []
        var rest = bytes[...]
        while lines.count < 4 {
            guard let newline = rest.firstIndex(of: UInt8(ascii: "\n")) else {
                lines.append(String(decoding: rest, as: UTF8.self))
                rest = rest[rest.endIndex...]
                break
            }
            lines.append(String(decoding: rest[..<newline], as: UTF8.self))
            rest = rest[rest.index(after: newline)...]
        }
        while lines.count < 4 { lines.append("") }
        endpoint = lines[0]
        contentEncoding = lines[1].isEmpty ? nil : lines[1]
        authorization = lines[2].isEmpty ? nil : lines[2]
        country = lines[3].isEmpty ? nil : lines[3]
        body = Array(rest)
    }

    /// The bytes ``init(_:)`` reads back as this request.
    package var bytes: [UInt8] {
        let head = [endpoint, contentEncoding ?? "", authorization ?? "", country ?? ""].joined(separator: "\n")
        return Array(head.utf8) + [UInt8(ascii: "\n")] + body
    }
}
