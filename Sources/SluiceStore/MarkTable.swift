import SluiceCore
import SluicePostgres

/// One of the two tables of marks, `sluice.event_marks` and `sluice.rollup_marks`: rows saying that the
/// rows of a project in a UTC hour changed, so what is computed from them is stale.
///
/// Writers only ever insert (no unique key, nothing to wait for), so marking never waits on the locks of a
/// job that is reading or deleting marks. A job reads the oldest marks, does the work, and deletes exactly
/// the ids it read in the transaction that did it: a mark inserted meanwhile, or by a transaction that had
/// not committed when the job read (its id may be lower), stays for the next run.
public struct MarkTable: Sendable, Equatable {
    /// The table's qualified name.
    public let name: String
    /// The expression read as a mark's ``HourMark/receivedFrom``, in microseconds since the Unix epoch; nil
    /// for a table whose marks carry no bound.
    private let receivedFromColumn: String?

    /// Hours whose events changed: written by the loader in the transaction of the rows, and by the
    /// partitions job when it moves rows out of the default partition; read by the sessions job.
    /// Its marks carry a `received_from` bound when the loader wrote them (``HourMark/receivedFrom``).
    public static let events = MarkTable(
        name: "sluice.event_marks", receivedFromColumn: "(extract(epoch FROM received_from) * 1000000)::bigint"
    )
    /// Hours whose rollup buckets must be recomputed: written by the sessions job, read by the rollups job.
    public static let rollups = MarkTable(name: "sluice.rollup_marks", receivedFromColumn: nil)

    private init(name: String, receivedFromColumn: String?) {
        self.name = name
        self.receivedFromColumn = receivedFromColumn
    }

    /// `INSERT` of the marks in `$1` (project ids) and `$2` (hours since the Unix epoch), two arrays of equal
    /// length, as ``arrayParameters(_:)`` writes them; for the event marks, `$3` is their `received_from`
    /// (a `timestamptz`, or NULL).
    public var insertStatement: String {
        let bound = receivedFromColumn == nil ? "" : ", received_from"
        return """
            INSERT INTO \(name) (project_id, hour\(bound))
            SELECT project_id, to_timestamp(hour * 3600)\(bound.isEmpty ? "" : ", $3::timestamptz")
            FROM unnest($1::bigint[], $2::bigint[]) AS m(project_id, hour)
            """
    }

    /// The two array parameters of ``insertStatement`` for `marks`.
    public static func arrayParameters(_ marks: some Collection<(projectID: Int64, hour: UTCHour)>) -> [String] {
        [
            "{" + marks.map { String($0.projectID) }.joined(separator: ",") + "}",
            "{" + marks.map { String($0.hour.unixHour) }.joined(separator: ",") + "}",
        ]
    }

    /// Marks `marks`, in one statement on `connection` (inside the caller's transaction, if any); nothing
    /// for none.
    /// - Parameter receivedFrom: for event marks, the least `received_at` of the rows the caller's
    ///   transaction loaded (``HourMark/receivedFrom``); nil when any row of those hours may have changed.
    ///   Rollup marks take none.
    /// - Throws: `PostgresError`.
    public func insert(
        _ marks: some Collection<(projectID: Int64, hour: UTCHour)>, receivedFrom: Timestamp? = nil,
        on connection: PostgresConnection
    ) throws(PostgresError) {
        precondition(receivedFrom == nil || receivedFromColumn != nil, "\(name) takes no received_from bound")
        guard !marks.isEmpty else { return }
        var parameters: [String?] = Self.arrayParameters(marks)
        if receivedFromColumn != nil { parameters.append(receivedFrom?.iso8601String) }
        try connection.query(insertStatement, parameters)
    }

    /// The oldest `limit` marks, by id.
    /// - Throws: `PostgresError`.
    public func oldest(_ limit: Int, on connection: PostgresConnection) throws(PostgresError) -> [HourMark] {
        let result = try connection.query(
            """
            SELECT id, \(markColumns)
            FROM \(name) ORDER BY id LIMIT $1
            """,
            [String(limit)]
        )
        return try Self.marks(result)
    }

    /// Marks the (project, hour) pairs that `select` yields (a `SELECT` of two columns: a project id and a
    /// `timestamptz` already truncated to its UTC hour), in one statement on `connection`, inside the
    /// caller's transaction if any.
    /// - Returns: the marks inserted, with their ids, so the caller can answer exactly those.
    /// - Throws: `PostgresError`.
    public func insert(
        selecting select: String, _ parameters: [String?], on connection: PostgresConnection
    ) throws(PostgresError) -> [HourMark] {
        let result = try connection.query(
            "INSERT INTO \(name) (project_id, hour) \(select) RETURNING id, \(markColumns)", parameters
        )
        return try Self.marks(result)
    }

    /// The columns after `id` that ``marks(_:)`` reads: the project, the hour since the Unix epoch, and the
    /// `received_from` bound in microseconds since the Unix epoch (NULL where there is none).
    var markColumns: String { "project_id, floor(extract(epoch FROM hour) / 3600)::bigint, \(receivedFromColumn ?? "NULL::bigint")" }

    /// The marks of a result whose columns are `id` then ``markColumns``.
    private static func marks(_ result: PostgresResult) throws(PostgresError) -> [HourMark] {
        var marks: [HourMark] = []
        marks.reserveCapacity(result.rowCount)
        for row in 0..<result.rowCount {
            guard let id = try result.int(row, 0), let project = try result.int(row, 1),
                let hour = try result.int(row, 2)
            else { continue }
            let receivedFrom = try result.int(row, 3).map { Timestamp(unixMicroseconds: Int64($0)) }
            marks.append(
                HourMark(
                    id: Int64(id), projectID: Int64(project), hour: UTCHour(unixHour: Int64(hour)),
                    receivedFrom: receivedFrom
                )
            )
        }
        return marks
    }

    /// The marks with an id above `id`, by id (at most `limit`).
    /// - Throws: `PostgresError`.
    public func newer(than id: Int64, limit: Int = 100_000, on connection: PostgresConnection) throws(PostgresError)
        -> [HourMark]
    {
        try Self.marks(
            connection.query(
                "SELECT id, \(markColumns) FROM \(name) WHERE id > $1 ORDER BY id LIMIT $2",
                [String(id), String(limit)]
            )
        )
    }

    /// The highest mark id there is, 0 when there is none.
    /// - Throws: `PostgresError`.
    public func lastID(on connection: PostgresConnection) throws(PostgresError) -> Int64 {
        Int64(try connection.query("SELECT coalesce(max(id), 0) FROM \(name)").int(0, 0) ?? 0)
    }

    /// Deletes the marks `ids`, inside the caller's transaction (the one that did their work).
    /// - Returns: how many there were.
    /// - Throws: `PostgresError`.
    @discardableResult
    public func delete(_ ids: [Int64], on connection: PostgresConnection) throws(PostgresError) -> Int {
        guard !ids.isEmpty else { return 0 }
        return try connection.query(
            "DELETE FROM \(name) WHERE id = ANY($1::bigint[])",
            ["{" + ids.map(String.init).joined(separator: ",") + "}"]
        ).affectedRows
    }

    /// How many marks wait.
    /// - Throws: `PostgresError`.
    public func count(on connection: PostgresConnection) throws(PostgresError) -> Int {
        try connection.query("SELECT count(*) FROM \(name)").int(0, 0) ?? 0
    }
}
