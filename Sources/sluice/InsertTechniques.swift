import SluiceCore
import SluicePostgres

/// The two ways others write events to PostgreSQL, timed on the same rows as Sluice, for the benchmark's
/// comparison: one parameterised `INSERT … VALUES` of 1,000 rows per statement (as Jitsu's Bulker batches
/// them) and one `INSERT` per event in its own transaction (as Umami does on PostgreSQL).
enum InsertTechniques {
    /// Seconds to insert `rows` with multi-row INSERTs of `rowsPerStatement` rows, each statement its own
    /// transaction.
    static func multiRow(_ rows: [EventRow], rowsPerStatement: Int = 1_000, on connection: PostgresConnection) throws
        -> Double
    {
        try BenchFigures.time {
            var start = 0
            while start < rows.count {
                let chunk = rows[start..<min(start + rowsPerStatement, rows.count)]
                try connection.query(statement(rows: chunk.count), chunk.flatMap(parameters))
                start += chunk.count
            }
        }
    }

    /// Seconds to insert `rows` one `INSERT` (one transaction) each.
    static func oneByOne(_ rows: [EventRow], on connection: PostgresConnection) throws -> Double {
        let sql = statement(rows: 1)
        return try BenchFigures.time {
            for row in rows { try connection.query(sql, parameters(row)) }
        }
    }

    private static func statement(rows: Int) -> String {
        let columns = EventRow.columns.map { "\"\($0)\"" }.joined(separator: ", ")
        let width = EventRow.columns.count
        let tuples = (0..<rows).map { row in
            "(" + (1...width).map { "$\(row * width + $0)" }.joined(separator: ",") + ")"
        }
        return "INSERT INTO analytics.events (\(columns)) VALUES " + tuples.joined(separator: ",")
    }

    /// The row's values as text parameters, in column order.
    private static func parameters(_ row: EventRow) -> [String?] {
        [
            String(row.projectID), row.messageID, row.type.rawValue, row.event, row.userID, row.anonymousID,
            row.groupID, row.previousID, row.sessionID?.uuidString, row.timestamp.iso8601String,
            row.receivedAt.iso8601String, row.sentAt?.iso8601String, row.pagePath,
            row.referrerHost, row.utmSource, row.utmMedium, row.utmCampaign, row.utmTerm, row.utmContent,
            row.country, row.browser, row.os, row.deviceType, row.isBot ? "t" : "f", row.ip?.description,
            row.properties, row.traits, row.context,
        ]
    }
}
