extension String {
    /// The string as a text column can hold it: without NUL characters (PostgreSQL text cannot store them; the
    /// Segment decoder rejects them already, this is the last guard before COPY) and cut to the longest prefix of at
    /// most `maximumBytes` UTF-8 bytes that ends on a Unicode scalar boundary.
    ///
    /// Returns `self` unchanged, without copying, in the common case of a short string without NUL.
    func storableText(maximumBytes: Int) -> String {
        let utf8 = self.utf8
        if utf8.withContiguousStorageIfAvailable({ $0.contains(0) }) ?? utf8.contains(0) {
            let withoutNUL = String(decoding: utf8.lazy.filter { $0 != 0 }, as: UTF8.self)
            return withoutNUL.storableText(maximumBytes: maximumBytes)
        }
        guard utf8.count > maximumBytes else { return self }
        var end = utf8.index(utf8.startIndex, offsetBy: max(maximumBytes, 0))
        // Back off continuation bytes (10xxxxxx) so the cut never splits a scalar.
        while end > utf8.startIndex, utf8[end] & 0xC0 == 0x80 {
            end = utf8.index(before: end)
        }
        return String(Substring(utf8[..<end]))
    }
}
