// The spool-reader fuzz target: libFuzzer's bytes as a spool segment file through SpoolFileCheck. Built for
// fuzzing by scripts/fuzz.sh; a normal build replays files instead.
import SluiceFuzzing

@main
enum SpoolFuzzer {
    static func main() {
        let spool: SpoolFileCheck
        do {
            spool = try SpoolFileCheck()
        } catch {
            fatalError("cannot create the scratch spool directory: \(error)")
        }
        FuzzDriver.main { bytes in
            do throws(FuzzFinding) {
                try spool.run(bytes)
                return nil
            } catch {
                return error
            }
        }
    }
}
