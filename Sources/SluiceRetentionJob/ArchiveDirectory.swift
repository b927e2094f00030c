import Crypto
import Foundation
import SluiceCore
import SluiceRetention
import SluiceZstd

/// The archive directory (`SLUICE_ARCHIVE_DIR`): one directory per table of `.copy.zst` files, and
/// `manifest.jsonl`.
///
/// Every write is durable before it is relied on: an archive is written under a temporary name, fsync'd,
/// renamed into place and its directory fsync'd; a manifest line is appended and fsync'd. Reading an
/// archive back (``check(_:)``) decompresses it from the disk and walks every tuple, so what is checked is
/// what a restore would load.
public struct ArchiveDirectory: Sendable {
    /// The directory, as given.
    public let path: String

    /// How many compressed bytes ``check(_:)`` and a restore read at a time.
    static let readChunk = 1 << 20

    public init(path: String) {
        self.path = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    /// Where the archive `name` lies.
    public func filePath(_ name: ArchiveName) -> String { "\(path)/\(name.relativePath)" }
    /// Where `manifest.jsonl` lies.
    public var manifestPath: String { "\(path)/\(ArchiveName.manifestFileName)" }
    func tableDirectory(_ table: String) -> String { "\(path)/\(table)" }

    /// Creates the directory for `table` if needed, and proves it writable and syncable with a probe file.
    /// - Throws: ``RetentionError`` (`.archiveUnwritable`) naming the path and the system's reason.
    public func prepare(table: String = ArchiveName.eventsTable) throws(RetentionError) {
        let directory = tableDirectory(table)
        try ArchiveFile.makeDirectory(directory)
        let probe = "\(directory)/.probe"
        let file = try ArchiveFile.create(probe)
        defer { ArchiveFile.remove(probe) }
        try file.write([0])
        try file.sync()
    }

    /// What was written: the file's size and SHA-256, as the manifest records them.
    public struct Written: Sendable, Equatable {
        public var bytes: Int
        public var sha256: String
    }

    /// Writes the archive `name` from the binary `COPY` stream `produce` sends to its sink, compressed with
    /// zstd, under a temporary name; fsyncs it, calls `beforeRename`, renames it into place and fsyncs the
    /// directory.
    ///
    /// - Throws: ``RetentionError`` for a file that cannot be written (the temporary file is removed and any
    ///   earlier archive of the day stays as it was), or what `produce` throws.
    public func write(
        _ name: ArchiveName, level: Int = 3, beforeRename: () -> Void = {},
        _ produce: (ArchiveSink) throws -> Void
    ) throws -> Written {
        let directory = tableDirectory(name.table)
        let temporary = "\(directory)/\(name.temporaryFileName)"
        let file = try ArchiveFile.create(temporary)
        do {
            let sink = try ArchiveSink(file: file, level: level)
            try produce(sink)
            let written = try sink.finish()
            try file.sync()
            file.close()
            beforeRename()
            try ArchiveFile.rename(temporary, to: filePath(name))
            try ArchiveFile.syncDirectory(directory)
            return written
        } catch {
            file.close()
            ArchiveFile.remove(temporary)
            throw error
        }
    }

    /// Appends `entry` as one line to `manifest.jsonl` and fsyncs it (and the directory, when the manifest
    /// was created).
    public func append(_ entry: ManifestEntry) throws(RetentionError) {
        let isNew = !ArchiveFile.exists(manifestPath)
        let file = try ArchiveFile.append(manifestPath)
        try file.write(Array((entry.line + "\n").utf8))
        try file.sync()
        file.close()
        if isNew { try ArchiveFile.syncDirectory(path) }
    }

    /// Every line of the manifest (none when there is no manifest yet).
    /// - Throws: ``RetentionError`` (`.archiveInvalid`) for a manifest that cannot be read or parsed.
    public func manifest() throws(RetentionError) -> [ManifestEntry] {
        guard ArchiveFile.exists(manifestPath) else { return [] }
        let file = try ArchiveFile.read(manifestPath)
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = try file.read(into: &buffer)
            if count == 0 { break }
            bytes += buffer[0..<count]
        }
        do {
            return try ManifestEntry.parse(String(decoding: bytes, as: UTF8.self))
        } catch {
            throw RetentionError(.archiveInvalid, "\(manifestPath): \(error)")
        }
    }

    /// What reading an archive found.
    public struct Check: Sendable, Equatable {
        /// Tuples in the decompressed `COPY` stream.
        public var rows: Int
        /// The compressed file's size.
        public var bytes: Int
        public var sha256: String
        /// The decompressed stream's size.
        public var copyBytes: Int
    }

    /// Reads the archive at `file` whole: hashes it, decompresses it and counts its tuples, checking the
    /// zstd frames (and their content checksums) and the `COPY` framing to the trailer. Calls `progress` with
    /// the compressed bytes read so far after every chunk; hands the decompressed bytes to `consume`.
    ///
    /// - Throws: ``RetentionError`` (`.archiveInvalid`) for a missing, unreadable, truncated or corrupt file;
    ///   what `consume` throws.
    public func check(
        _ file: String, progress: (Int) -> Void = { _ in }, consume: ([UInt8]) throws -> Void = { _ in }
    ) throws -> Check {
        let input = try ArchiveFile.read(file)
        var hasher = SHA256()
        var counter = CopyStreamCounter(expectedFieldCount: EventRow.columns.count)
        let decompressor: ZstdDecompressor
        do {
            decompressor = try ZstdDecompressor(maximumOutputBytes: Int.max / 2)
        } catch {
            throw RetentionError(.archiveInvalid, "could not start zstd: \(error)")
        }
        var buffer = [UInt8](repeating: 0, count: Self.readChunk)
        var output: [UInt8] = []
        var bytes = 0
        var copyBytes = 0
        do {
            while true {
                let count = try input.read(into: &buffer)
                if count == 0 { break }
                bytes += count
                let chunk = buffer[0..<count]
                hasher.update(data: chunk)
                output.removeAll(keepingCapacity: true)
                try decompressor.feed(chunk, into: &output)
                copyBytes += output.count
                try counter.feed(output)
                try consume(output)
                progress(bytes)
            }
            try decompressor.finish()
            let rows = try counter.finish()
            return Check(rows: rows, bytes: bytes, sha256: Self.hex(hasher.finalize()), copyBytes: copyBytes)
        } catch let error as ZstdError {
            throw RetentionError(.archiveInvalid, "\(file) is not a whole zstd file (\(error)); it cannot be used")
        } catch let error as CopyStreamCounter.FormatError {
            throw RetentionError(.archiveInvalid, "\(file) does not hold a whole COPY stream: \(error)")
        }
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// Where a binary `COPY` stream goes on its way into an archive file: compressed, hashed, written.
///
/// Handed to the body of ``ArchiveDirectory/write(_:level:beforeRename:_:)``; not usable after it returns.
public final class ArchiveSink {
    private let file: ArchiveFile
    private let compressor: ZstdCompressor
    private var hasher = SHA256()
    private var output: [UInt8] = []
    private var bytes = 0
    /// Uncompressed bytes taken so far.
    public private(set) var copyBytes = 0

    fileprivate init(file: ArchiveFile, level: Int) throws {
        self.file = file
        compressor = try ZstdCompressor(level: level)
        try compressor.beginFrame()
        output.reserveCapacity(1 << 20)
    }

    /// Compresses `data` (the next bytes of the stream) and writes what is ready.
    public func write(_ data: UnsafeRawBufferPointer) throws {
        copyBytes += data.count
        try compressor.write(data, into: &output)
        if output.count >= 1 << 20 { try flush() }
    }

    private func flush() throws(RetentionError) {
        guard !output.isEmpty else { return }
        hasher.update(data: output)
        try file.write(output)
        bytes += output.count
        output.removeAll(keepingCapacity: true)
    }

    fileprivate func finish() throws -> ArchiveDirectory.Written {
        try compressor.endFrame(into: &output)
        try flush()
        return ArchiveDirectory.Written(bytes: bytes, sha256: ArchiveDirectory.hex(hasher.finalize()))
    }
}
