// The spool-reader fuzz target: libFuzzer's bytes as a spool segment file through SpoolFileCheck. Built for
// fuzzing by scripts/fuzz.sh; a normal build replays files instead.
import Foundation
import SluiceFuzzing

#if SLUICE_FUZZ
/// libFuzzer's own driver (`LLVMFuzzerRunDriver`), linked in by `-sanitize=fuzzer`.
@_extern(c, "LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt
#endif

@main
enum SpoolFuzzer {
    /// One scratch directory for the whole run. libFuzzer calls its callback on one thread, one input at a time,
    /// which is what makes the unsynchronised global safe.
    nonisolated(unsafe) static let spool: SpoolFileCheck = {
        do {
            return try SpoolFileCheck()
        } catch {
            fatalError("cannot create the scratch spool directory: \(error)")
        }
    }()

    static func check(_ bytes: [UInt8]) throws(FuzzFinding) {
        try spool.run(bytes)
    }

    static func main() {
        #if SLUICE_FUZZ
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(runFuzzerDriver(&argc, &argv, testOneInput))
        #else
        exit(FuzzReplay.run(arguments: Array(CommandLine.arguments.dropFirst()), check: check))
        #endif
    }
}

#if SLUICE_FUZZ
/// libFuzzer's callback: a finding is a crash, which is how libFuzzer learns of it and saves the input.
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let outcome = Result { () throws(FuzzFinding) in try SpoolFuzzer.check(bytes) }
    if case .failure(let finding) = outcome { fatalError("\(finding)") }
    return 0
}
#endif
