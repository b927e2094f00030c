import SluiceCore

extension SpoolWriter {
    /// Appends `rows` as records of at most `perRecord` rows each (binary COPY tuples, as the server spools a
    /// request's events), then syncs: when it returns, every row is durable and the loader may copy it.
    ///
    /// For tools and tests that feed the real loader without the HTTP front; the server's committer appends
    /// its own records.
    /// - Precondition: `perRecord > 0`.
    /// - Throws: `SpoolError`.
    public func appendDurably(_ rows: some Collection<EventRow>, perRecord: Int = 1_000) throws(SpoolError) {
        precondition(perRecord > 0, "a record holds at least one row")
        var encoder = CopyEncoder()
        var inRecord = 0
        for row in rows {
            encoder.append(row)
            inRecord += 1
            if inRecord == perRecord {
                _ = try append(encoder.bytes)
                encoder.removeAll()
                inRecord = 0
            }
        }
        if inRecord > 0 { _ = try append(encoder.bytes) }
        try sync()
    }
}
