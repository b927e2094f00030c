/// Values read from the Prometheus text exposition format that `GET /metrics` answers.
enum PrometheusText {
    /// The value of the sample `name` without labels (a counter or gauge), or nil if `text` has no such line.
    ///
    /// Reads `name value` lines as the format defines them; comments (`# HELP`, `# TYPE`) and samples of other
    /// metrics, or of `name` with labels, are skipped.
    static func value(of name: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, fields[0] == name { return Double(fields[1]) }
        }
        return nil
    }
}
