import Foundation
import SluicePostgres
import SluiceTestSupport
import Testing

/// `docs/scaling.md`'s Citus plan against the schema `sluice migrate` creates: every table is named once (as
/// distributed, reference or local), and each distributed table meets Citus' rules on keys. Citus itself is not
/// run here; this keeps the plan from going stale when a migration adds a table.
@Suite struct ScalingDocumentTests {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/scaling.md").path

    struct Plan {
        var distributed: [String] = []
        var reference: [String] = []
        var local: [String] = []
    }

    static func plan() throws -> Plan {
        // The calls as they are to be run: the ```sql blocks only, not the prose that mentions them.
        let text = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "```sql").dropFirst()
            .map { $0.components(separatedBy: "```").first ?? "" }.joined(separator: "\n")
        var plan = Plan()
        let call = try NSRegularExpression(pattern: #"(create_distributed_table|create_reference_table)\('([a-z_.]+)'"#)
        for match in call.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            let function = String(text[Range(match.range(at: 1), in: text)!])
            let table = String(text[Range(match.range(at: 2), in: text)!])
            if function == "create_distributed_table" {
                plan.distributed.append(table)
            } else {
                plan.reference.append(table)
            }
        }
        for line in text.split(separator: "\n") where line.hasPrefix("--   local:") {
            plan.local += line.dropFirst("--   local:".count).split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespaces)
            }
        }
        return plan
    }

    @Test func everyTableHasItsPlaceAndTheDistributedOnesFitCitus() throws {
        let plan = try Self.plan()
        let connection = try TestDatabase.migrated("scaling")
        let result = try connection.query(
            """
            SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
              AND n.nspname IN ('sluice', 'analytics', 'experiments')
            ORDER BY 1
            """
        )
        let tables = (0..<result.rowCount).compactMap { result.string($0, 0) }
        let named = plan.distributed + plan.reference + plan.local
        #expect(tables.count > 15, "\(tables)")
        #expect(Set(named).count == named.count, "a table is named twice: \(named)")
        let missing = Set(tables).subtracting(named)
        let unknown = Set(named).subtracting(tables)
        #expect(missing.isEmpty && unknown.isEmpty, "not in docs/scaling.md: \(missing); not in the schema: \(unknown)")

        for table in plan.distributed {
            let column = try connection.query(
                """
                SELECT 1 FROM pg_attribute
                WHERE attrelid = $1::regclass AND attname = 'project_id' AND NOT attisdropped
                """,
                [table]
            )
            #expect(column.rowCount == 1, "\(table) has no project_id")
            // Citus: a primary key or unique constraint of a distributed table must include the distribution column.
            let keys = try connection.query(
                """
                SELECT conname FROM pg_constraint WHERE conrelid = $1::regclass AND contype IN ('p', 'u')
                  AND NOT EXISTS (SELECT 1 FROM unnest(conkey) AS k(attnum) JOIN pg_attribute a
                                  ON a.attrelid = conrelid AND a.attnum = k.attnum WHERE a.attname = 'project_id')
                """,
                [table]
            )
            #expect(keys.rowCount == 0, "\(table): a unique key without project_id: \(keys.string(0, 0) ?? "")")
            // A foreign key points at a reference table, or at a co-located table and includes project_id.
            let foreign = try connection.query(
                """
                SELECT confrelid::regclass::text,
                       EXISTS (SELECT 1 FROM unnest(conkey) AS k(attnum) JOIN pg_attribute a
                               ON a.attrelid = conrelid AND a.attnum = k.attnum WHERE a.attname = 'project_id')
                FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'f'
                """,
                [table]
            )
            for row in 0..<foreign.rowCount {
                let target = foreign.string(row, 0) ?? ""
                let ok =
                    plan.reference.contains(target)
                    || (plan.distributed.contains(target) && foreign.bool(row, 1) == true)
                #expect(ok, "\(table) → \(target)")
            }
        }
        // Distributed tables that reference each other come after what they reference.
        #expect(
            (plan.distributed.firstIndex(of: "experiments.experiments") ?? .max)
                < (plan.distributed.firstIndex(of: "experiments.assignments") ?? -1)
        )
    }
}
