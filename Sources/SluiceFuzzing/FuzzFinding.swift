// SluiceFuzzing: the invariants the libFuzzer targets in `Fuzz/` check, as plain functions that the test suite
// also runs over the committed corpus and over every input a fuzzer ever found.

/// An input that broke an invariant: the request path or the spool reader did something other than return a
/// result or one of its documented errors.
package struct FuzzFinding: Error, Sendable, CustomStringConvertible {
    /// Which check failed, e.g. `request.encoding` or `spool.repair`.
    package var check: String
    /// What was wrong, in one line.
    package var message: String

    package init(_ check: String, _ message: String) {
        self.check = check
        self.message = message
    }

    package var description: String { "\(check): \(message)" }
}
