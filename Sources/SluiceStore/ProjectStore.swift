import SluicePostgres

/// A website or app that sends events to Sluice.
public struct Project: Sendable, Equatable {
    public var id: Int64
    public var name: String
    /// Public: embedded in web pages and apps, it only lets a client send events.
    public var writeKey: String
    /// When the project was created, as PostgreSQL prints it in UTC.
    public var createdAt: String
}

/// The projects in `sluice.projects`.
public enum ProjectStore {
    /// A project just created, with its read key: the only moment the read key exists in clear.
    public struct Created: Sendable, Equatable {
        public var project: Project
        /// Secret: opens the dashboards' API. Only its SHA-256 hash is stored.
        public var readKey: String
    }

    /// Creates a project with fresh random keys.
    ///
    /// - Throws: `StoreError` when the name is empty or over 200 characters; `PostgresError` from the database.
    public static func create(name: String, on connection: PostgresConnection) throws -> Created {
        guard !name.isEmpty, name.count <= 200 else {
            throw StoreError("a project name must have 1 to 200 characters")
        }
        let writeKey = AccessKey.generate(prefix: "wk_", length: 32)
        let readKey = AccessKey.generate(prefix: "rk_", length: 40)
        let result = try connection.query(
            """
            INSERT INTO sluice.projects (name, write_key, read_key_hash)
            VALUES ($1, $2, sha256(convert_to($3, 'UTF8')))
            RETURNING \(columns)
            """,
            [name, writeKey, readKey]
        )
        return Created(project: try project(result, row: 0), readKey: readKey)
    }

    /// Gives the project a new random read key, which only this answer holds in clear; the old one stops
    /// opening the Stats API at once.
    ///
    /// - Throws: `StoreError` when there is no such project; `PostgresError` from the database.
    public static func replaceReadKey(projectID: Int64, on connection: PostgresConnection) throws -> String {
        let readKey = AccessKey.generate(prefix: "rk_", length: 40)
        let result = try connection.query(
            "UPDATE sluice.projects SET read_key_hash = sha256(convert_to($2, 'UTF8')) WHERE id = $1 RETURNING id",
            [String(projectID), readKey]
        )
        guard result.rowCount == 1 else { throw StoreError("there is no project \(projectID)") }
        return readKey
    }

    /// Every project, oldest first.
    public static func list(on connection: PostgresConnection) throws -> [Project] {
        let result = try connection.query("SELECT \(columns) FROM sluice.projects ORDER BY id")
        return try (0..<result.rowCount).map { try project(result, row: $0) }
    }

    /// The project whose read key is `readKey`, compared by hash; `nil` when none matches.
    public static func project(readKey: String, on connection: PostgresConnection) throws -> Project? {
        let result = try connection.query(
            "SELECT \(columns) FROM sluice.projects WHERE read_key_hash = sha256(convert_to($1, 'UTF8'))",
            [readKey]
        )
        return result.rowCount == 1 ? try project(result, row: 0) : nil
    }

    /// The project whose write key is `writeKey`; `nil` when none matches.
    public static func project(writeKey: String, on connection: PostgresConnection) throws -> Project? {
        let result = try connection.query("SELECT \(columns) FROM sluice.projects WHERE write_key = $1", [writeKey])
        return result.rowCount == 1 ? try project(result, row: 0) : nil
    }

    private static let columns =
        #"id, name, write_key, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"#

    private static func project(_ result: PostgresResult, row: Int) throws -> Project {
        Project(
            id: Int64(try result.int(row, 0) ?? 0), name: result.string(row, 1) ?? "",
            writeKey: result.string(row, 2) ?? "", createdAt: result.string(row, 3) ?? ""
        )
    }
}

/// Random access keys: a prefix that says what the key is, then base-62 characters from the system's
/// cryptographic random source (getrandom on Linux), 5.95 bits each.
enum AccessKey {
    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    static func generate(prefix: String, length: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return prefix + String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
    }
}
