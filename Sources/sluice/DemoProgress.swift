import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The progress of `sluice demo`'s traffic on stderr: a bar redrawn in place on a terminal, plain lines at every
/// tenth otherwise (a log file, a CI job), so neither fills up with carriage returns nor stays silent.
struct DemoProgress {
    let total: Int
    private(set) var done = 0
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private var shown = -1

    init(total: Int) {
        self.total = max(1, total)
    }

    static let width = 30

    mutating func advance(to done: Int) {
        self.done = min(done, total)
        let percent = self.done * 100 / total
        if isTerminal {
            guard percent != shown else { return }
            shown = percent
            let filled = self.done * Self.width / total
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: Self.width - filled)
            FileHandle.standardError.write(Data("\rsluice: [\(bar)] \(percent)% \(self.done) of \(total) events".utf8))
        } else if percent / 10 != shown / 10 || shown < 0 {
            shown = percent
            Terminal.note("sent \(self.done) of \(total) events (\(percent)%)")
        }
    }

    /// Ends the bar's line on a terminal.
    func finish() {
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
