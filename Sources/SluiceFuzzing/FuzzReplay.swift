import Foundation

/// What a fuzz target's executable does in a normal build (without `-sanitize=fuzzer`): runs the check over
/// files, so a corpus or a crash file can be replayed anywhere, e.g. `sluice-fuzz-request Fuzz/corpus/request`.
package enum FuzzReplay {
    /// Runs `check` over every file named in `arguments` (directories: every file in them, sorted).
    ///
    /// - Returns: the exit status: 0 when every input passed, 1 when one broke an invariant (each finding is
    ///   printed on stderr with its file), 64 for no inputs or an unreadable path.
    package static func run(arguments: [String], check: ([UInt8]) -> FuzzFinding?) -> Int32 {
        var files: [String] = []
        for path in arguments {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                FileHandle.standardError.write(Data("no such file or directory: \(path)\n".utf8))
                return 64
            }
            if isDirectory.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                files += names.sorted().map { path + "/" + $0 }
            } else {
                files.append(path)
            }
        }
        guard !files.isEmpty else {
            FileHandle.standardError.write(Data("usage: give the inputs to replay (files or directories)\n".utf8))
            return 64
        }
        var findings = 0
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else { continue }
            if let finding = check(Array(data)) {
                findings += 1
                FileHandle.standardError.write(Data("\(file): \(finding)\n".utf8))
            }
        }
        print("\(files.count) inputs replayed, \(findings) findings")
        return findings == 0 ? 0 : 1
    }
}
