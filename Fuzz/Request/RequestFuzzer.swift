// The request-path fuzz target: libFuzzer's bytes as an ingest request (see RequestInput) through
// RequestPathCheck. Built for fuzzing by scripts/fuzz.sh; a normal build replays files instead.
import SluiceFuzzing

@main
enum RequestFuzzer {
    static func main() {
        FuzzDriver.main { bytes in
            do throws(FuzzFinding) {
                try RequestPathCheck.run(RequestInput(bytes))
                return nil
            } catch {
                return error
            }
        }
    }
}
