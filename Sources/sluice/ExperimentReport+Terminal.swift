import Foundation
import SluiceCore
import SluiceExperiments

extension ExperimentReport {
    /// The report for a person at the terminal: a heading, the warnings (a sample-ratio mismatch first, in
    /// capitals, framed so it cannot be missed), a table of the variations, then the sample-ratio check.
    var terminalLines: [String] {
        let results = self.results
        var lines = [
            "experiment \(JSONString.quoted(results.experiment)) · version \(version) · \(status.rawValue) · goal "
                + (results.goalEvent.map { JSONString.quoted($0) } ?? "none (nobody converts)"),
            "counts exposed users only: people assigned to a variation who were shown it (\"Experiment Viewed\")",
        ]
        let warnings = self.warnings
        if !warnings.isEmpty {
            lines.append("")
            for (index, warning) in warnings.enumerated() {
                if index == 0 && results.sampleRatio.isMismatch {
                    let banner = String(repeating: "!", count: 72)
                    lines += [banner, "!!! SAMPLE RATIO MISMATCH", "!!! " + warning, banner]
                } else {
                    lines.append("warning: " + warning)
                }
            }
        }
        lines.append("")
        var rows = [
            ["VARIANT", "VALUE", "USERS", "CONVERTERS", "RATE", "UPLIFT", "95% INTERVAL", "P-VALUE", "ASSIGNED", "MISMATCHED"]
        ]
        for (variation, count) in zip(results.variations, counts) {
            var row = [
                String(variation.variant), variation.value.jsonText, String(variation.statistic.users),
                String(variation.statistic.converters), Self.percent(variation.statistic.conversionRate),
            ]
            if let uplift = variation.uplift {
                if let problem = uplift.problem {
                    row += [Self.signedPercent(uplift.uplift), "none: \(problem.rawValue)", "-"]
                } else {
                    row += [
                        Self.signedPercent(uplift.uplift),
                        "[\(Self.signedPercent(uplift.lower)), \(Self.signedPercent(uplift.upper))]",
                        String(format: "%.4g", uplift.pValue),
                    ]
                }
            } else {
                row += ["(control)", "-", "-"]
            }
            row += [String(count.assigned), String(count.mismatched)]
            rows.append(row)
        }
        lines += TextTable.lines(rows)
        lines.append("")
        let pValue = String(format: "%.4g", results.sampleRatio.pValue)
        lines.append(
            "sample ratio: \(results.sampleRatio.status.rawValue) (p = \(pValue), a mismatch below "
                + "\(JSONNumber.text(SampleRatioCheck.threshold)), against weights "
                + "\(weights.map(JSONNumber.text).joined(separator: "/")))"
        )
        return lines
    }

    private static func percent(_ value: Double) -> String {
        String(format: "%.2f%%", value * 100)
    }

    private static func signedPercent(_ value: Double) -> String {
        String(format: "%+.2f%%", value * 100)
    }
}
