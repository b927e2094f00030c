import Foundation
import SluiceSpool

/// Runs `body` with a fresh empty directory, removed afterwards.
func withSpoolDirectory(_ body: (String) throws -> Void) throws {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("sluice-spool-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    try body(path)
}

/// Deterministic payloads: JSON-like text with random runs, so a failure reproduces.
enum TestPayload {
    static func bytes(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        let text = Array(#"{"type":"track","event":"Signed Up","userId":"u-42","properties":{"plan":"pro"}}"#.utf8)
        var bytes = [UInt8]()
        bytes.reserveCapacity(count)
        while bytes.count < count {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            if state % 3 == 0 {
                bytes.append(UInt8(truncatingIfNeeded: state >> 24))
            } else {
                bytes.append(text[bytes.count % text.count])
            }
        }
        return bytes
    }

    /// Bytes zstd cannot shrink, so record sizes are predictable.
    static func incompressible(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state >> 32)
        }
    }
}

/// Raw file surgery for the damage tests.
enum SegmentFile {
    static func path(_ segment: UInt64, in directory: String) -> String {
        SpoolSegment(number: segment).path(in: directory)
    }

    static func size(_ path: String) throws -> UInt64 {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.size] as! NSNumber).uint64Value
    }

    static func truncate(_ path: String, to length: UInt64) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.truncate(atOffset: length)
    }

    static func append(_ bytes: [UInt8], to path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(bytes))
    }

    static func flipByte(at offset: UInt64, in path: String) throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data[Int(offset)] ^= 0x40
        try data.write(to: URL(fileURLWithPath: path))
    }
}

/// Reads every record available from `position`.
func readAll(
    _ directory: String,
    from position: SpoolPosition = .start,
    maximumBatchBytes: Int = 4 << 20
) throws -> [(payload: [UInt8], end: SpoolPosition)] {
    let reader = try SpoolReader(directory: directory, from: position, maximumBatchBytes: maximumBatchBytes)
    var records: [(payload: [UInt8], end: SpoolPosition)] = []
    while let record = try reader.next() {
        records.append(record)
    }
    return records
}
