import SluiceCore

extension JobRun {
    /// One JSON object on one line, for scripts (`sluice jobs status --json`): times in RFC 3339 UTC with
    /// milliseconds, null for what is not there, keys in this order: `job`, `node`, `status`, `startedAt`,
    /// `finishedAt`, `rowsTouched`, `summary`, `error`.
    public var jsonLine: String {
        func optional(_ text: String?) -> String { text.map { JSONString.quoted($0) } ?? "null" }
        var line = "{\"job\":\(JSONString.quoted(job)),\"node\":\(JSONString.quoted(node))"
        line += ",\"status\":\(JSONString.quoted(status.rawValue))"
        line += ",\"startedAt\":\(JSONString.quoted(startedAt.iso8601(fractionDigits: 3)))"
        line += ",\"finishedAt\":\(optional(finishedAt?.iso8601(fractionDigits: 3)))"
        line += ",\"rowsTouched\":\(rowsTouched),\"summary\":\(optional(summary)),\"error\":\(optional(error))}"
        return line
    }

    /// The columns of `sluice jobs status`'s table, for people.
    public static let tableHeader = ["JOB", "NODE", "STARTED", "FINISHED", "STATUS", "ROWS", "DETAIL"]

    /// This run as a row of that table: times to the second, the error (or else the summary) as the detail.
    public var tableRow: [String] {
        [
            job, node, startedAt.iso8601(fractionDigits: 0), finishedAt?.iso8601(fractionDigits: 0) ?? "-",
            status.rawValue, String(rowsTouched), error ?? summary ?? "",
        ]
    }
}
