// Running a helper program (initdb, pg_ctl) to completion and collecting what it printed.

import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A finished child process: its exit status and everything it wrote to stdout and stderr.
///
/// Built on `posix_spawn` and `waitpid` rather than Foundation's `Process`: `pg_ctl start` leaves a
/// daemon behind that inherits the child's descriptors, and `Process.waitUntilExit` can hang when it is
/// called from many threads at once. Output goes to an unlinked temporary file, so a daemon holding it
/// open never blocks the caller, and the wait is a plain blocking `waitpid`.
package struct ChildProcess {
    package let status: Int32
    package let output: String

    /// Runs `command` (an absolute path and its arguments) in `/`, with stdin from `/dev/null`, and waits.
    ///
    /// The working directory is `/` because a program run as the `postgres` user cannot enter the
    /// caller's (often `/root/...`); `env -C` changes it, as glibc's spawn has no portable chdir action.
    package static func run(_ command: [String]) throws -> ChildProcess {
        let command = ["/usr/bin/env", "-C", "/"] + command
        var template = Array((FileManager.default.temporaryDirectory.path + "/sluice-child-XXXXXX").utf8CString)
        let outputDescriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard outputDescriptor >= 0 else {
            throw LocalClusterError(message: "could not create a temporary file: \(String(cString: strerror(errno)))")
        }
        defer { close(outputDescriptor) }
        unlink(template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outputDescriptor, 1)
        posix_spawn_file_actions_adddup2(&actions, outputDescriptor, 2)

        let arguments = command.map { strdup($0) } + [nil]
        defer { arguments.forEach { free($0) } }
        var pid = pid_t()
        let spawned = withDefaultSignals { attributes in
            posix_spawn(&pid, command[0], &actions, &attributes, arguments, environ)
        }
        guard spawned == 0 else {
            throw LocalClusterError(message: "could not run \(command[0]): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else {
                throw LocalClusterError(message: "could not wait for \(command[0]): \(String(cString: strerror(errno)))")
            }
        }
        lseek(outputDescriptor, 0, SEEK_SET)
        var data = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(outputDescriptor, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            data.append(contentsOf: chunk[0..<count])
        }
        // WIFEXITED / WEXITSTATUS are macros Swift cannot import.
        let exitStatus = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return ChildProcess(status: exitStatus, output: String(decoding: data, as: UTF8.self))
    }
}
