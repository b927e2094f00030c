import Foundation

#if SLUICE_FUZZ
/// libFuzzer's own driver, linked in by `-sanitize=fuzzer`.
@_extern(c, "LLVMFuzzerRunDriver")
private func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// libFuzzer's callback: a finding is a crash, which is how libFuzzer learns of it and saves the input.
private func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if let finding = FuzzDriver.check?(bytes) { fatalError("\(finding)") }
    return 0
}
#endif

/// The `main` of a fuzz target's executable.
///
/// Built by `scripts/fuzz.sh` (`-sanitize=fuzzer -DSLUICE_FUZZ`) it hands the command line to libFuzzer's
/// `LLVMFuzzerRunDriver` with `check` as the per-input callback; SwiftPM links executables with
/// `--defsym main=<module>_main`, so the target keeps its own `@main` and calls libFuzzer from it rather than
/// linking libFuzzer's `main`. In a normal build it replays the files named on the command line
/// (``FuzzReplay``).
package enum FuzzDriver {
    /// The check libFuzzer's callback runs. Set once before the driver starts; libFuzzer calls the callback
    /// on one thread, one input at a time, which is what makes the unsynchronised global safe.
    nonisolated(unsafe) fileprivate static var check: (([UInt8]) -> FuzzFinding?)?

    /// Runs the target and exits with its status.
    package static func main(_ check: @escaping ([UInt8]) -> FuzzFinding?) -> Never {
        #if SLUICE_FUZZ
        self.check = check
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(runFuzzerDriver(&argc, &argv, testOneInput))
        #else
        exit(FuzzReplay.run(arguments: Array(CommandLine.arguments.dropFirst()), check: check))
        #endif
    }
}
