/// Who a spool directory is: a random id created with the spool and kept in the file `spool-id` beside its
/// segments, recorded in the node's checkpoint row in PostgreSQL.
///
/// A checkpoint is a position inside one spool's segments, so it means nothing for another spool. With the
/// id, the loader tells its own checkpoint from one left by a spool that was wiped and created again (same
/// directory, new id, no segments) or by another directory started with the same node id, and refuses to
/// load instead of skipping or deleting segments by a position that is not theirs.
///
/// The file is text: `sluice-spool 1`, `id <uuid>`, `created empty|existing` on three lines. `created`
/// says whether the directory held segments when the id was made: an existing spool of an older release
/// may claim a checkpoint row that has no id yet at any position, a spool created empty only one at the
/// start of the spool.
package struct SpoolIdentity: Sendable, Hashable, CustomStringConvertible {
    /// A random (version 4) UUID in lower-case hexadecimal.
    package var id: String
    /// Whether the directory held no segments when the identity was created.
    package var createdEmpty: Bool

    package init(id: String, createdEmpty: Bool) {
        self.id = id
        self.createdEmpty = createdEmpty
    }

    /// The identity file's name inside the spool directory.
    package static let fileName = "spool-id"

    /// A new random identity.
    package static func random(createdEmpty: Bool) -> SpoolIdentity {
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        bytes[6] = bytes[6] & 0x0F | 0x40
        bytes[8] = bytes[8] & 0x3F | 0x80
        let hex = bytes.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }
        let groups = [hex[0..<4], hex[4..<6], hex[6..<8], hex[8..<10], hex[10..<16]].map { $0.joined() }
        return SpoolIdentity(id: groups.joined(separator: "-"), createdEmpty: createdEmpty)
    }

    /// The file's content.
    package var fileText: String {
        "sluice-spool 1\nid \(id)\ncreated \(createdEmpty ? "empty" : "existing")\n"
    }

    /// Parses ``fileText``; nil for anything else.
    package init?(fileText: String) {
        let lines = fileText.split(separator: "\n").map { $0.split(separator: " ", maxSplits: 1).map(String.init) }
        guard lines.count == 3, lines[0] == ["sluice-spool", "1"], lines[1].count == 2, lines[1][0] == "id",
            lines[2].count == 2, lines[2][0] == "created", ["empty", "existing"].contains(lines[2][1]),
            lines[1][1].count == 36
        else { return nil }
        self.init(id: lines[1][1], createdEmpty: lines[2][1] == "empty")
    }

    /// The id, for messages.
    package var description: String { id }
}
