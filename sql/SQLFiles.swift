// SluiceSQL: the schema migrations in this folder, shipped as a resource bundle beside the `sluice` binary
// so that `sluice migrate` works wherever the binary runs.

import Foundation

/// One numbered migration file of `sql/migrations`.
public struct MigrationFile: Sendable, Equatable {
    /// The number in front of the file name, e.g. 2 for `0002_events.sql`.
    public let version: Int
    /// The file name, e.g. `0002_events.sql`.
    public let name: String
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}

/// Where the migrations are found, and reading them.
public enum SQLFiles {
    /// The migration files, sorted by version.
    ///
    /// Looks in `SLUICE_SQL_DIR` when set, else in the `sluice_SluiceSQL.resources/migrations` folder that
    /// the build places beside the executable (and beside the test bundle).
    /// - Throws: `SQLFilesError` when no folder is found, a name has no number, or two files share one.
    public static func migrations() throws(SQLFilesError) -> [MigrationFile] {
        let directory = try migrationsDirectory()
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".sql") }
        } catch {
            throw SQLFilesError(message: "cannot list the migrations in \(directory): \(error.localizedDescription)")
        }
        var files: [MigrationFile] = []
        for name in names {
            guard let version = Int(name.prefix { $0.isNumber }), version > 0 else {
                throw SQLFilesError(message: "migration file \(name) does not start with its number (e.g. 0003_name.sql)")
            }
            guard let sql = try? String(contentsOfFile: directory + "/" + name, encoding: .utf8) else {
                throw SQLFilesError(message: "cannot read migration \(directory)/\(name) as UTF-8 text")
            }
            files.append(MigrationFile(version: version, name: name, sql: sql))
        }
        files.sort { $0.version < $1.version }
        for (earlier, later) in zip(files, files.dropFirst()) where earlier.version == later.version {
            throw SQLFilesError(message: "migrations \(earlier.name) and \(later.name) share the number \(later.version)")
        }
        return files
    }

    static func migrationsDirectory() throws(SQLFilesError) -> String {
        let manager = FileManager.default
        if let configured = ProcessInfo.processInfo.environment["SLUICE_SQL_DIR"] {
            guard manager.fileExists(atPath: configured) else {
                throw SQLFilesError(message: "SLUICE_SQL_DIR=\(configured) does not exist")
            }
            return configured
        }
        var candidates: [String] = []
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        candidates.append(executable.deletingLastPathComponent().path)
        if let main = Bundle.main.executableURL?.resolvingSymlinksInPath() {
            candidates.append(main.deletingLastPathComponent().path)
        }
        candidates.append(Bundle.main.bundlePath)
        for base in candidates {
            let path = base + "/sluice_SluiceSQL.resources/migrations"
            if manager.fileExists(atPath: path) { return path }
        }
        throw SQLFilesError(
            message: "the schema migrations were not found beside the sluice binary (sluice_SluiceSQL.resources); "
                + "copy that folder along with the binary, or point SLUICE_SQL_DIR at the sql/migrations folder"
        )
    }
}

/// Why the migration files could not be read; one line for the user.
public struct SQLFilesError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}
