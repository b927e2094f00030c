import Foundation
import Testing

/// Every command's `--help` shows at least one example command line, found by walking the SUBCOMMANDS of the
/// built binary's own help, so a new subcommand without an example fails here.
@Suite struct HelpExamplesTests {
    /// The subcommand names listed under `SUBCOMMANDS:` in a help text.
    static func subcommands(in help: String) -> [String] {
        var names: [String] = []
        var inSection = false
        for line in help.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("SUBCOMMANDS:") {
                inSection = true
                continue
            }
            guard inSection else { continue }
            // The section ends at its blank line or at the "See 'sluice help …'" note.
            if line.trimmingCharacters(in: .whitespaces).isEmpty || line.contains("See '") { break }
            // An entry is indented by two spaces; its wrapped abstract by more.
            guard line.hasPrefix("  "), !line.hasPrefix("   "), let name = line.split(separator: " ").first else {
                continue
            }
            names.append(String(name))
        }
        return names
    }

    @Test func everyCommandsHelpHasAnExample() async throws {
        var pending: [[String]] = [[]]
        var checked: [String] = []
        var missing: [String] = []
        while let path = pending.popLast() {
            let run = try await SluiceProcess.run(path + ["--help"])
            let command = (["sluice"] + path).joined(separator: " ")
            let lines = run.output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            // An "Example:"/"Examples:" heading, on its line or followed by a command line that starts with the
            // command's name (or a script of the repository that runs it).
            let headings = lines.indices.filter { lines[$0].hasPrefix("Example:") || lines[$0].hasPrefix("Examples") }
            // A line may show a shell prompt ("$ sluice …") before output lines.
            let candidates = headings.flatMap { heading in
                [String(lines[heading].drop { $0 != ":" }.dropFirst()).trimmingCharacters(in: .whitespaces)]
                    + lines[(heading + 1)...].prefix(8)
            }.map { $0.hasPrefix("$ ") ? String($0.dropFirst(2)) : $0 }
            if candidates.contains(where: { $0.hasPrefix(command + " ") || $0 == command || $0.hasPrefix("scripts/") })
            {
                checked.append(command)
            } else {
                missing.append(command)
            }
            pending += Self.subcommands(in: run.output).filter { $0 != "help" }.map { path + [$0] }
        }
        #expect(missing.isEmpty, "no example line in the help of: \(missing.joined(separator: ", "))")
        // The walk found the command tree, not just the top.
        #expect(checked.count + missing.count > 20, "\(checked + missing)")
        #expect(checked.contains("sluice demo"))
    }
}
