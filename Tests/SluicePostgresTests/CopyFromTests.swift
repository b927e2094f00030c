import Foundation
import SluiceCore
import SluicePostgres
import SluiceTestSupport
import Testing

/// Binary COPY into a real PostgreSQL: every supported type round-trips exactly, failures leave the
/// connection usable with nothing inserted, and the text encoder loads the same rows as the binary one.
@Suite struct CopyFromTests {
    // MARK: - Every type

    /// One row of the `every_type` table; nil is NULL.
    struct Values {
        var id: Int32
        var int2: Int16? = nil
        var int4: Int32? = nil
        var int8: Int64? = nil
        var text: String? = nil
        var uuid: UUID? = nil
        var timestamp: Timestamp? = nil
        var jsonb: String? = nil
        var bool: Bool? = nil
        var float8: Double? = nil
        var inet: String? = nil

        func encode(into encoder: inout CopyEncoder) {
            encoder.beginRow(fieldCount: 11)
            encoder.append(id)
            encoder.append(int2)
            encoder.append(int4)
            encoder.append(int8)
            encoder.append(text: text)
            encoder.append(uuid)
            encoder.append(timestamp)
            encoder.append(jsonb: jsonb)
            encoder.append(bool)
            encoder.append(float8)
            encoder.append(inet.map { InetAddress($0)! })
        }
    }

    static let everyTypeTable = """
        CREATE TABLE every_type (
            id int4 PRIMARY KEY, c_int2 int2, c_int4 int4, c_int8 int8, c_text text, c_uuid uuid,
            c_timestamptz timestamptz, c_jsonb jsonb, c_bool bool, c_float8 float8, c_inet inet
        )
        """
    static let everyTypeCopy = """
        COPY every_type (id, c_int2, c_int4, c_int8, c_text, c_uuid, c_timestamptz, c_jsonb, c_bool, c_float8, c_inet)
        FROM STDIN (FORMAT binary)
        """

    static let nestedJSON = #"""
        {"a": [{"b": {"c": [1, 2.5, -3e-7, {"d": null}]}}, true], "unicode": "Grüße, 東京 👩‍👩‍👧",
         "quote": "say \"hi\"\n\tdone \\ end", "empty": {}, "big": 12345678901234567890}
        """#

    static let rows: [Values] = [
        Values(id: 1),  // NULL in every column
        Values(
            id: 2, int2: .min, int4: .min, int8: .min, text: "",
            uuid: UUID(uuidString: "00000000-0000-0000-0000-000000000000"),
            timestamp: Timestamp(unixMicroseconds: -14_182_939_999_999), jsonb: nestedJSON, bool: false,
            float8: .nan, inet: "192.168.0.0/16"
        ),
        Values(
            id: 3, int2: .max, int4: .max, int8: .max, text: "Grüße, 東京",
            uuid: UUID(uuidString: "F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6"),
            timestamp: Timestamp(unixMicroseconds: 946_684_799_999_999), jsonb: #"{"k": "ß\u00e9\ud83e\udd86"}"#,
            bool: true, float8: .infinity, inet: "2001:db8::1"
        ),
        Values(
            id: 4, int2: 0, int4: -1, int8: 0, text: "👩‍👩‍👧 🦆 🏳️‍🌈",
            timestamp: Timestamp(unixMicroseconds: 1_795_425_302_123_456),
            jsonb: "[]", float8: -.infinity, inet: "2001:db8:abcd::/48"
        ),
        Values(
            id: 5, text: "tab\there\nnewline\\backslash\r\"quote\" 'single' \\N",
            timestamp: Timestamp(unixMicroseconds: 0),
            jsonb: "\"just a string\"", float8: -0.0, inet: "10.1.2.3"
        ),
        Values(
            id: 6, timestamp: Timestamp(unixMicroseconds: 946_684_800_000_000), jsonb: "-0.5", float8: 1e-300,
            inet: "::ffff:1.2.3.4/128"
        ),
        Values(id: 7, timestamp: Timestamp(unixMicroseconds: -2_203_894_799_999_995), float8: 1.7976931348623157e308),
    ]

    /// `c_inet` of each row as `SELECT c_inet` prints it; rows not listed hold NULL.
    static let inetAsPrinted: [Int32: String] = [
        2: "192.168.0.0/16", 3: "2001:db8::1", 4: "2001:db8:abcd::/48", 5: "10.1.2.3", 6: "::ffff:1.2.3.4",
    ]

    @Test func everyTypeRoundTrips() throws {
        let connection = try TestDatabase.connect("copytypes")
        try connection.execute(Self.everyTypeTable)
        try connection.execute("SET TIME ZONE 'UTC'")
        let copied = try connection.copyFrom(Self.everyTypeCopy) { writer in
            for row in Self.rows {
                row.encode(into: &writer.encoder)
                try writer.flushIfNeeded()
            }
        }
        #expect(copied == Self.rows.count)

        let result = try connection.query(
            """
            SELECT id, c_int2::text, c_int4::text, c_int8::text, c_text, c_uuid::text, c_timestamptz::text,
                   c_jsonb::text, c_bool::text, c_float8::text, c_inet,
                   (extract(epoch FROM c_timestamptz) * 1000000)::int8::text
            FROM every_type ORDER BY id
            """
        )
        #expect(result.rowCount == Self.rows.count)
        for (index, row) in Self.rows.enumerated() where index < result.rowCount {
            #expect(try result.int(index, 0) == Int(row.id))
            #expect(result.string(index, 1) == row.int2.map { String($0) })
            #expect(result.string(index, 2) == row.int4.map { String($0) })
            #expect(result.string(index, 3) == row.int8.map { String($0) })
            #expect(result.string(index, 4) == row.text)
            #expect(result.string(index, 5) == row.uuid.map { $0.uuidString.lowercased() })
            #expect(result.string(index, 8) == row.bool.map { $0 ? "true" : "false" })
            // inet's output function (not the `text(inet)` cast, which always adds the prefix length), as
            // PostgreSQL prints each value: the prefix only when it is not the whole address.
            #expect(result.string(index, 10) == Self.inetAsPrinted[row.id], "row \(row.id)")
            #expect(result.isNull(index, 7) == (row.jsonb == nil))
            #expect(result.isNull(index, 6) == (row.timestamp == nil))
            // Exact to the microsecond: the server's Unix time in microseconds is what was sent.
            #expect(result.string(index, 11) == row.timestamp.map { String($0.unixMicroseconds) })
        }

        // Each value compared with what PostgreSQL parses from the literal (an untyped literal takes the
        // column's type).
        func holds(_ id: Int32, _ condition: String, _ parameters: [String?] = []) throws -> Bool {
            let sql = "SELECT \(condition) FROM every_type WHERE id = \(id)"
            return try connection.query(sql, parameters).string(0, 0) == "t"
        }
        let checks: [(Int32, String)] = [
            (
                1,
                "num_nulls(c_int2, c_int4, c_int8, c_text, c_uuid, c_timestamptz, c_jsonb, c_bool, c_float8, c_inet)"
                    + " = 10"
            ),
            (2, "c_timestamptz = '1969-07-20 20:17:40.000001+00'"),
            (3, "c_timestamptz = '1999-12-31 23:59:59.999999+00'"),
            (4, "c_timestamptz = '2026-11-23 09:15:02.123456+00'"),
            (5, "c_timestamptz = '1970-01-01 00:00:00+00'"),
            (6, "c_timestamptz = '2000-01-01 00:00:00+00'"),
            (7, "c_timestamptz = '1900-02-28 23:00:00.000005+00'"),
            (2, "(c_jsonb #>> '{a,0,b,c,2}')::numeric = -0.0000003"),
            (2, "c_jsonb #> '{a,0,b,c,3}' = '{\"d\": null}'"),
            (2, "c_jsonb ->> 'unicode' = 'Grüße, 東京 👩‍👩‍👧'"),
            (2, "c_jsonb -> 'big' = '12345678901234567890'"),
            (3, "c_jsonb ->> 'k' = 'ßé🦆'"),
            (4, "c_jsonb = '[]'"),
            (5, "c_jsonb = '\"just a string\"'"),
            (6, "c_jsonb = '-0.5'"),
            (4, "length(c_text) = 12"),  // code points: 5 in the family, 4 in the flag, 1 duck, 2 spaces
            (2, "c_float8 = 'NaN'"),
            (3, "c_float8 = 'Infinity'"),
            (4, "c_float8 = '-Infinity'"),
            (5, "c_float8::text = '-0'"),
            (6, "c_float8 = 1e-300"),
            (7, "c_float8 = 1.7976931348623157e308"),
            (2, "c_inet = '192.168.0.0/16' AND family(c_inet) = 4 AND masklen(c_inet) = 16"),
            (3, "c_inet = '2001:db8::1' AND family(c_inet) = 6 AND masklen(c_inet) = 128"),
            (4, "c_inet = '2001:db8:abcd::/48'"),
            (5, "c_inet = '10.1.2.3/32'"),
            (6, "c_inet = '::ffff:1.2.3.4'"),
        ]
        for (id, condition) in checks {
            #expect(try holds(id, condition), "row \(id): \(condition)")
        }
        #expect(try holds(2, "c_jsonb = $1::jsonb", [Self.nestedJSON]))
        #expect(try holds(2, "c_jsonb ->> 'quote' = $1", ["say \"hi\"\n\tdone \\ end"]))
        #expect(try holds(4, "c_text = $1", [Self.rows[3].text]))
        #expect(try holds(5, "c_text = $1", [Self.rows[4].text]))
    }

    // MARK: - Volume and buffer reuse

    @Test func manyRowsCrossChunkBoundaries() throws {
        let connection = try TestDatabase.connect("copymany")
        try connection.execute("CREATE TABLE many (id int8 NOT NULL, payload text NOT NULL)")
        let count = 50_000
        var encoder = CopyEncoder(capacity: 16 * 1024)
        let capacity = encoder.capacity
        var expectedLength = 0
        let copied = try connection.copyFrom(
            "COPY many (id, payload) FROM STDIN (FORMAT binary)", encoder: &encoder, chunkBytes: 8 * 1024
        ) { writer in
            for id in 0..<count {
                let payload = "row \(id) " + String(repeating: "é", count: id % 37)
                expectedLength += payload.count
                writer.encoder.beginRow(fieldCount: 2)
                writer.encoder.append(Int64(id))
                writer.encoder.append(text: payload)
                #expect(writer.encoder.count < 8 * 1024 + 256, "the buffer is flushed once it passes the chunk size")
                try writer.flushIfNeeded()
            }
            #expect(writer.encoder.rowCount == count)
        }
        #expect(copied == count)
        #expect(encoder.count == 0)
        #expect(encoder.capacity == capacity, "the caller's buffer came back, neither copied nor regrown")
        #expect(encoder.rowCount == count)
        let result = try connection.query(
            "SELECT count(*), sum(id), sum(length(payload)), count(DISTINCT id) FROM many")
        #expect(try result.int(0, 0) == count)
        #expect(try result.int(0, 1) == count * (count - 1) / 2)
        #expect(try result.int(0, 2) == expectedLength)
        #expect(try result.int(0, 3) == count)
        #expect(
            try connection.query("SELECT payload FROM many WHERE id = 36").string(0, 0) == "row 36 "
                + String(repeating: "é", count: 36))

        // The same encoder serves the next COPY.
        let again = try connection.copyFrom("COPY many (id, payload) FROM STDIN (FORMAT binary)", encoder: &encoder) {
            writer in
            writer.encoder.beginRow(fieldCount: 2)
            writer.encoder.append(Int64(-1))
            writer.encoder.append(text: "last")
        }
        #expect(again == 1)
        #expect(encoder.capacity == capacity)
        #expect(try connection.query("SELECT count(*) FROM many").int(0, 0) == count + 1)
    }

    @Test func emptyCopyInsertsNothing() throws {
        let connection = try TestDatabase.connect("copyempty")
        try connection.execute("CREATE TABLE t (id int8)")
        #expect(try connection.copyFrom("COPY t (id) FROM STDIN (FORMAT binary)") { _ in } == 0)
        try connection.execute("CREATE TABLE events \(Self.eventsTable)")
        #expect(try connection.copyEvents([EventRow](), into: "events") == 0)
        #expect(try connection.query("SELECT count(*) FROM events").int(0, 0) == 0)
    }

    // MARK: - Failures

    @Test func notNullViolationThrowsSQLStateAndInsertsNothing() throws {
        let connection = try TestDatabase.connect("copynotnull")
        try connection.execute("CREATE TABLE t (id int8 NOT NULL, name text NOT NULL)")
        #expect {
            try connection.copyFrom("COPY t (id, name) FROM STDIN (FORMAT binary)", chunkBytes: 1024) { writer in
                for id in 0..<1000 {
                    writer.encoder.beginRow(fieldCount: 2)
                    writer.encoder.append(Int64(id))
                    writer.encoder.append(text: id == 500 ? nil : "name \(id)")
                    try writer.flushIfNeeded()
                }
            }
        } throws: { error in
            guard let error = error as? PostgresError else { return false }
            return error.code == .server && error.sqlState == "23502" && error.message.contains("\"name\"")
        }
        #expect(connection.isOpen)
        #expect(try connection.query("SELECT count(*) FROM t").int(0, 0) == 0)
        let copied = try connection.copyFrom("COPY t (id, name) FROM STDIN (FORMAT binary)") { writer in
            writer.encoder.beginRow(fieldCount: 2)
            writer.encoder.append(Int64(1))
            writer.encoder.append(text: "ok")
        }
        #expect(copied == 1)
    }

    @Test func missingPartitionThrowsSQLState() throws {
        let connection = try TestDatabase.connect("copypartition")
        try connection.execute(
            """
            CREATE TABLE p (at timestamptz NOT NULL) PARTITION BY RANGE (at);
            CREATE TABLE p_2026 PARTITION OF p FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
            """
        )
        #expect {
            try connection.copyFrom("COPY p (at) FROM STDIN (FORMAT binary)") { writer in
                writer.encoder.beginRow(fieldCount: 1)
                writer.encoder.append(Timestamp(unixMicroseconds: 1_795_425_302_123_456))  // 2026-11-23
                writer.encoder.beginRow(fieldCount: 1)
                writer.encoder.append(Timestamp(unixMicroseconds: 0))  // 1970: no partition
            }
        } throws: { error in
            guard let error = error as? PostgresError else { return false }
            return error.code == .server && error.sqlState == "23514" && error.detail != nil
        }
        #expect(try connection.query("SELECT count(*) FROM p").int(0, 0) == 0)
    }

    @Test func throwingBodyAbortsTheCopy() throws {
        let connection = try TestDatabase.connect("copyabort")
        try connection.execute("CREATE TABLE t (id int8)")
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try connection.copyFrom("COPY t (id) FROM STDIN (FORMAT binary)", chunkBytes: 64) { writer in
                for id in 0..<100 {
                    writer.encoder.beginRow(fieldCount: 1)
                    writer.encoder.append(Int64(id))
                    try writer.flushIfNeeded()  // some rows have already reached the server
                }
                throw Abort()
            }
        }
        #expect(connection.isOpen)
        #expect(try connection.query("SELECT count(*) FROM t").int(0, 0) == 0)
        #expect(try connection.query("SELECT 1").string(0, 0) == "1")
        let copied = try connection.copyFrom("COPY t (id) FROM STDIN (FORMAT binary)") { writer in
            writer.encoder.beginRow(fieldCount: 1)
            writer.encoder.append(Int64(1))
        }
        #expect(copied == 1)
    }

    @Test func statementErrorsAndNonCopyStatementsThrow() throws {
        let connection = try TestDatabase.connect("copybadsql")
        #expect {
            try connection.copyFrom("COPY no_such_table (id) FROM STDIN (FORMAT binary)") { _ in }
        } throws: { error in
            (error as? PostgresError)?.sqlState == "42P01"
        }
        #expect {
            try connection.copyFrom("SELECT 1") { _ in }
        } throws: { error in
            (error as? PostgresError)?.code == .protocolViolation
        }
        try connection.execute("CREATE TABLE t (id int8)")
        #expect {
            try connection.copyFrom("COPY t TO STDOUT") { _ in }
        } throws: { error in
            (error as? PostgresError)?.code == .protocolViolation
        }
        // Malformed data (a field count that does not match the columns) is the server's to reject.
        #expect {
            try connection.copyFrom("COPY t (id) FROM STDIN (FORMAT binary)") { writer in
                writer.encoder.beginRow(fieldCount: 2)
                writer.encoder.append(Int64(1))
                writer.encoder.append(Int64(2))
            }
        } throws: { error in
            (error as? PostgresError)?.sqlState == "22P04"  // bad_copy_file_format
        }
        #expect(try connection.query("SELECT 1").string(0, 0) == "1")
    }

    // MARK: - Event rows, binary and text

    static let eventsTable = """
        (
            project_id int8 NOT NULL, message_id text NOT NULL, type text NOT NULL, event text, user_id text,
            anonymous_id text, group_id text, previous_id text, session_id uuid, "timestamp" timestamptz NOT NULL,
            received_at timestamptz NOT NULL, sent_at timestamptz, page_path text, referrer_host text,
            utm_source text, utm_medium text, utm_campaign text, utm_term text, utm_content text, country text,
            browser text, os text, device_type text, is_bot bool NOT NULL, ip inet, properties jsonb, traits jsonb,
            context jsonb
        )
        """

    static func events(bcMicroseconds: Int64) -> [EventRow] {
        [
            EventRow(
                projectID: 42, messageID: "ajs-next-1795425302123-7f1c", type: .page, event: "Pricing",
                anonymousID: "b0e1c2d3-anon", sessionID: UUID(uuidString: "6F9619FF-8B86-D011-B42D-00C04FC964FF"),
                timestamp: Timestamp(unixMicroseconds: 1_795_425_302_123_456),
                receivedAt: Timestamp(unixMicroseconds: 1_795_425_302_456_789),
                sentAt: Timestamp(unixMicroseconds: 1_795_425_302_400_001), pagePath: "/pricing",
                referrerHost: "www.google.com", utmSource: "newsletter", utmMedium: "email",
                utmCampaign: "black friday", utmTerm: "tab\there", utmContent: "line\nbreak", country: "DE",
                browser: "Firefox", os: "Linux", deviceType: "desktop", isBot: false,
                ip: InetAddress("203.0.113.0/24"),
                properties:
                    #"{"path":"/pricing","title":"Preise — Grüße","search":"?q=a\\b\"c\"","n":[1,2,{"x":null}]}"#,
                traits: nil,
                context:
                    #"{"page":{"url":"https://example.com/pricing"},"userAgent":"Mozilla/5.0 (X11; Linux x86_64)","#
                    + #""locale":"de-DE"}"#
            ),
            EventRow(
                projectID: Int64.max, messageID: "m\\2\r\n", type: .identify, userID: "user 東京 👩‍👩‍👧",
                timestamp: Timestamp(unixMicroseconds: -14_182_939_999_999),
                receivedAt: Timestamp(unixMicroseconds: 946_684_799_999_999), isBot: true,
                ip: InetAddress("2001:db8:abcd:12::/64"), traits: #"{"email":"a@example.com","plan":"pro","age":42}"#
            ),
            EventRow(
                projectID: -1, messageID: "", type: .alias, previousID: "anon-1",
                timestamp: Timestamp(unixMicroseconds: bcMicroseconds), receivedAt: Timestamp(unixMicroseconds: 0)
            ),
        ]
    }

    @Test func eventRowsLoadTheSameThroughBinaryAndText() throws {
        let connection = try TestDatabase.connect("copyevents")
        try connection.execute("SET TIME ZONE 'UTC'")
        try connection.execute("CREATE SCHEMA analytics; CREATE TABLE analytics.events_binary \(Self.eventsTable)")
        try connection.execute("CREATE TABLE events_text \(Self.eventsTable)")
        let bc = "SELECT (extract(epoch FROM '0044-03-15 12:00:00.000001+00 BC'::timestamptz) * 1000000)::int8"
        let bcMicroseconds = try #require(try connection.query(bc).int(0, 0).map { Int64($0) })
        let events = Self.events(bcMicroseconds: bcMicroseconds)

        #expect(try connection.copyEvents(events, into: "analytics.events_binary") == events.count)

        var text: [UInt8] = []
        for event in events { event.appendCopyText(to: &text) }
        let columns = EventRow.columns.map { "\"\($0)\"" }.joined(separator: ", ")
        #expect(
            try connection.copyFrom("COPY events_text (\(columns)) FROM STDIN", data: text, chunkBytes: 100)
                == events.count)

        for (left, right) in [("analytics.events_binary", "events_text"), ("events_text", "analytics.events_binary")] {
            let difference = try connection.query(
                "SELECT count(*) FROM (SELECT * FROM \(left) EXCEPT ALL SELECT * FROM \(right)) d")
            #expect(try difference.int(0, 0) == 0, "rows of \(left) missing from \(right)")
        }

        let first = try connection.query(
            """
            SELECT project_id::text, message_id, type, "timestamp"::text, session_id::text, ip, utm_term,
                   utm_content, properties ->> 'search', properties #>> '{n,2}', is_bot::text, sent_at::text
            FROM analytics.events_binary ORDER BY project_id = 42 DESC, project_id LIMIT 1
            """
        )
        #expect(
            first.rows.first == [
                "42", "ajs-next-1795425302123-7f1c", "page", "2026-11-23 09:15:02.123456+00",
                "6f9619ff-8b86-d011-b42d-00c04fc964ff", "203.0.113.0/24", "tab\there", "line\nbreak", #"?q=a\b"c""#,
                #"{"x": null}"#, "false", "2026-11-23 09:15:02.400001+00",
            ])
        let second = try connection.query(
            """
            SELECT message_id, user_id, "timestamp"::text, received_at::text, ip, traits ->> 'age', is_bot::text
            FROM analytics.events_binary WHERE type = 'identify'
            """
        )
        #expect(
            second.rows.first == [
                "m\\2\r\n", "user 東京 👩‍👩‍👧", "1969-07-20 20:17:40.000001+00", "1999-12-31 23:59:59.999999+00",
                "2001:db8:abcd:12::/64", "42", "true",
            ])
        let third = try connection.query(
            """
            SELECT "timestamp"::text, message_id, ip IS NULL AND properties IS NULL FROM events_text
            WHERE type = 'alias'
            """
        )
        #expect(third.rows.first == ["0044-03-15 12:00:00.000001+00 BC", "", "t"])
    }
}
