import Foundation
import SluiceSpool

/// What `sluice serve` keeps in its spool directory so that it can start and take events while PostgreSQL is
/// unreachable: every project's write key and id, and which database they came from.
///
/// Written whenever the keys are loaded from the database and differ from what the file holds, atomically
/// (``SluiceSpool/SpoolStorage/replaceFile(_:with:)``: a temporary file, fsync, rename over the old one, fsync
/// of the directory, as for the spool's identity beside it), so a crash leaves either the old file or the new
/// one, never half of one. Read only at a start that cannot reach the database, and only
/// when it names the same database as the configured connection string (``Saved/target``): keys saved from
/// another database would let the wrong projects in.
///
/// The write keys are public by design (they sit in web pages); the file holds no secret.
package enum ProjectKeyCache {
    /// The file's name in the spool directory.
    package static let fileName = "database-cache.json"

    /// The file's content.
    package struct Saved: Codable, Equatable, Sendable {
        /// The version of this layout.
        package var format = 1
        /// The database as the configuration names it (``SluicePostgres/PostgresConnection/target(of:)``):
        /// host, port, database and user, no secrets.
        package var target: String
        /// What the database said of itself: its name, oid and cluster's system identifier (when the role
        /// may read it), for the log at a start without it.
        package var identity: String
        /// When the file was written, UTC.
        package var savedAt: String
        /// Write key → project id.
        package var projects: [String: Int64]
    }

    /// The file in `directory`.
    package static func path(in directory: String) -> String { directory + "/" + fileName }

    /// Reads the file in `directory`; nil when there is none.
    ///
    /// - Throws: ``IngestError`` when the file exists but cannot be read or parsed.
    package static func load(
        from directory: String, storage: any SpoolStorage = PosixSpoolStorage()
    ) throws -> Saved? {
        let path = path(in: directory)
        do {
            guard let bytes = try storage.contents(of: path) else { return nil }
            let saved = try JSONDecoder().decode(Saved.self, from: Data(bytes))
            guard saved.format == 1 else {
                throw IngestError(.databaseUnavailable, "\(path) has format \(saved.format), which this sluice does not read")
            }
            return saved
        } catch let error as IngestError {
            throw error
        } catch {
            throw IngestError(.databaseUnavailable, "cannot read \(path): \(error.localizedDescription)")
        }
    }

    /// Writes `saved` to the file in `directory`, atomically and durably.
    ///
    /// - Throws: ``IngestError`` naming the step that failed; the old file, if any, is then left as it was.
    package static func save(
        _ saved: Saved, in directory: String, storage: any SpoolStorage = PosixSpoolStorage()
    ) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes: Data
        do {
            bytes = try encoder.encode(saved)
        } catch {
            throw IngestError(.spoolFailed, "cannot encode the project keys: \(error)")
        }
        do {
            try storage.replaceFile(path(in: directory), with: Array(bytes))
        } catch {
            throw IngestError(.spoolFailed, "cannot save the project keys: \(error)")
        }
    }
}
