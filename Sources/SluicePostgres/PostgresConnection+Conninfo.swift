import CLibPQ

extension PostgresConnection {
    /// `connectionString` (a libpq conninfo string or a `postgres://` URL) with its database replaced by
    /// `database`, as a conninfo string. Used to reach a sibling database on the same server.
    ///
    /// - Throws: `PostgresError` with code `.connection` when libpq cannot parse `connectionString`.
    public static func connectionString(_ connectionString: String, database: String) throws(PostgresError) -> String {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(connectionString, &errorMessage) else {
            let message = errorMessage.map { String(cString: $0).trimmed } ?? "out of memory"
            if let errorMessage { PQfreemem(errorMessage) }
            throw PostgresError(code: .connection, message: "invalid connection string: \(message)")
        }
        defer { PQconninfoFree(options) }
        var parts: [String] = []
        var option = options
        while let keyword = option.pointee.keyword {
            let name = String(cString: keyword)
            if name != "dbname", let value = option.pointee.val {
                parts.append("\(name)=\(quoted(String(cString: value)))")
            }
            option += 1
        }
        parts.append("dbname=\(quoted(database))")
        return parts.joined(separator: " ")
    }

    /// A conninfo value in single quotes, with `\` and `'` escaped as libpq expects.
    private static func quoted(_ value: String) -> String {
        var output = "'"
        for character in value {
            if character == "\\" || character == "'" { output.append("\\") }
            output.append(character)
        }
        return output + "'"
    }
}
