import CLibPQ

extension PostgresConnection {
    /// `connectionString` (a libpq conninfo string or a `postgres://` URL) with its database replaced by
    /// `database`, as a conninfo string. Used to reach a sibling database on the same server.
    ///
    /// - Throws: `PostgresError` with code `.connection` when libpq cannot parse `connectionString`.
    public static func connectionString(_ connectionString: String, database: String) throws(PostgresError) -> String {
        var parts: [String] = []
        for (name, value) in try options(of: connectionString) where name != "dbname" {
            parts.append("\(name)=\(quoted(value))")
        }
        parts.append("dbname=\(quoted(database))")
        return parts.joined(separator: " ")
    }

    /// Which database `connectionString` names, without its secrets or tuning: the values of `host`,
    /// `hostaddr`, `port`, `dbname` and `user` it sets (not libpq's defaults), as a conninfo string, in that
    /// order. Two strings that name the same database the same way give the same target, whether conninfo
    /// or URL, whatever their password, timeouts or application name.
    ///
    /// - Throws: `PostgresError` with code `.connection` when libpq cannot parse `connectionString`.
    public static func target(of connectionString: String) throws(PostgresError) -> String {
        let options = Dictionary(try options(of: connectionString), uniquingKeysWith: { _, last in last })
        return ["host", "hostaddr", "port", "dbname", "user"].compactMap { name in
            options[name].map { "\(name)=\(quoted($0))" }
        }.joined(separator: " ")
    }

    /// The keywords `connectionString` sets and their values, as `PQconninfoParse` reads them.
    private static func options(of connectionString: String) throws(PostgresError) -> [(String, String)] {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(connectionString, &errorMessage) else {
            let message = errorMessage.map { String(cString: $0).trimmed } ?? "out of memory"
            if let errorMessage { PQfreemem(errorMessage) }
            throw PostgresError(code: .connection, message: "invalid connection string: \(message)")
        }
        defer { PQconninfoFree(options) }
        var parsed: [(String, String)] = []
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val {
                parsed.append((String(cString: keyword), String(cString: value)))
            }
            option += 1
        }
        return parsed
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
