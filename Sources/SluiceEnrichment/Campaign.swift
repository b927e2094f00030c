/// The UTM parameters of a visit, Segment's `context.campaign`: where the visitor came from by the link's own
/// account.
package struct Campaign: Sendable, Equatable {
    /// `utm_source`.
    package var source: String?
    /// `utm_medium`.
    package var medium: String?
    /// `utm_campaign` (Segment calls it `name`).
    package var name: String?
    /// `utm_term`.
    package var term: String?
    /// `utm_content`.
    package var content: String?

    package init(
        source: String? = nil,
        medium: String? = nil,
        name: String? = nil,
        term: String? = nil,
        content: String? = nil
    ) {
        self.source = source
        self.medium = medium
        self.name = name
        self.term = term
        self.content = content
    }

    /// The UTM parameters in a URL query (the part after `?`, without it); `nil` when it has none.
    ///
    /// Names are matched case-sensitively (`utm_source`, as Google Analytics does); values are form-decoded (`+` and
    /// `%XX`); a value that is empty (before or after decoding) counts as absent; when a parameter repeats, the first
    /// one with a value wins.
    package init?(query: some StringProtocol) {
        var text = String(query)
        guard let campaign = text.withUTF8({ Campaign(queryBytes: $0) }) else { return nil }
        self = campaign
    }

    /// The UTM parameters in a page's `search` (`location.search`), with or without its leading `?`; a `#fragment`
    /// after it is ignored. `nil` when it has none.
    package init?(search: some StringProtocol) {
        var text = String(search)
        let campaign = text.withUTF8 { bytes -> Campaign? in
            var start = 0
            if start < bytes.count, bytes[start] == UInt8(ascii: "?") { start += 1 }
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "#") { end += 1 }
            return Campaign(queryBytes: UnsafeBufferPointer(rebasing: bytes[start..<end]))
        }
        guard let campaign else { return nil }
        self = campaign
    }

    /// The UTM parameters in the bytes of a query; see ``init(query:)``.
    init?(queryBytes: UnsafeBufferPointer<UInt8>) {
        self.init()
        QueryString.forEachParameter(in: queryBytes) { parameter, value in
            guard !value.isEmpty, parameter.count > 4,
                QueryString.equals(UnsafeBufferPointer(rebasing: parameter[..<4]), "utm_")
            else { return true }
            let key = UnsafeBufferPointer(rebasing: parameter[4...])
            if QueryString.equals(key, "source") {
                Self.setOnce(&source, value)
            } else if QueryString.equals(key, "medium") {
                Self.setOnce(&medium, value)
            } else if QueryString.equals(key, "campaign") {
                Self.setOnce(&self.name, value)
            } else if QueryString.equals(key, "term") {
                Self.setOnce(&term, value)
            } else if QueryString.equals(key, "content") {
                Self.setOnce(&content, value)
            }
            return !isComplete
        }
        if isEmpty { return nil }
    }

    /// Whether every parameter is set.
    package var isComplete: Bool {
        source != nil && medium != nil && name != nil && term != nil && content != nil
    }

    /// Sets each parameter that is `nil` to `other`'s.
    package mutating func fillMissing(from other: Campaign) {
        source = source ?? other.source
        medium = medium ?? other.medium
        name = name ?? other.name
        term = term ?? other.term
        content = content ?? other.content
    }

    /// The parameters as text columns can hold them: without NUL, each cut to at most `maximumBytes` UTF-8 bytes at
    /// a character boundary; one left empty by that becomes `nil`.
    package func capped(to maximumBytes: Int) -> Campaign {
        func storable(_ value: String?) -> String? {
            guard let value = value?.storableText(maximumBytes: maximumBytes), !value.isEmpty else { return nil }
            return value
        }
        return Campaign(
            source: storable(source),
            medium: storable(medium),
            name: storable(name),
            term: storable(term),
            content: storable(content)
        )
    }

    /// Whether no parameter is set.
    package var isEmpty: Bool {
        source == nil && medium == nil && name == nil && term == nil && content == nil
    }

    /// Sets `parameter` to the decoded `rawValue` unless it is already set or the value decodes to nothing.
    private static func setOnce(_ parameter: inout String?, _ rawValue: UnsafeBufferPointer<UInt8>) {
        guard parameter == nil else { return }
        let value = QueryString.decode(rawValue)
        if !value.isEmpty { parameter = value }
    }
}
