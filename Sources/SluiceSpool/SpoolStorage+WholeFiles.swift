extension SpoolStorage {
    /// Replaces the file at `path` with `bytes` so that a crash leaves either the old file or the new one,
    /// whole: writes `path.tmp`, fsyncs it, renames it over `path`, and fsyncs the directory.
    ///
    /// - Throws: ``SpoolError/Code/io`` if a step fails; the old file is then unchanged.
    package func replaceFile(_ path: String, with bytes: [UInt8]) throws(SpoolError) {
        let temporary = path + ".tmp"
        try remove(temporary)
        let file = try openForAppending(temporary)
        try file.writeAll(bytes)
        try file.sync()
        try rename(temporary, to: path)
        try syncDirectory(SpoolDirectory.parent(of: path))
    }

    /// The whole content of the file at `path`, or nil if there is none.
    ///
    /// - Throws: ``SpoolError/Code/io`` if it cannot be read.
    package func contents(of path: String) throws(SpoolError) -> [UInt8]? {
        guard let file = try openForReading(path) else { return nil }
        return try file.read(count: Int(try file.size()), at: 0)
    }

    /// Removes the file at `path` and fsyncs its directory, so that the removal survives a crash.
    package func removeDurably(_ path: String) throws(SpoolError) {
        try remove(path)
        try syncDirectory(SpoolDirectory.parent(of: path))
    }
}
