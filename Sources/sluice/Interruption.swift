import Dispatch
import Foundation
import Synchronization

/// What a long command leaves behind if it is stopped halfway (a benchmark's scratch database, its
/// `sluice serve` child, a private PostgreSQL cluster), undone when SIGINT or SIGTERM arrives.
///
/// Each such thing is registered while it exists (``register(_:)``) and let go once its owner has cleaned it
/// up (``done(_:)``). The first SIGINT or SIGTERM runs the registered undos, newest first, and exits as the
/// signal would have (status 128 + its number); one arriving while they run exits at once. Without this,
/// Ctrl-C ended a benchmark where it stood: its scratch database stayed on the server and a private cluster
/// kept running.
///
/// The undos run on a dispatch queue while the command's own thread may be in the middle of its work, so they
/// only use what stays valid whatever that thread does: names, paths, process ids.
enum Interruption {
    struct Token: Sendable {
        fileprivate let id: Int
    }

    private struct State {
        var next = 0
        var undos: [(id: Int, undo: @Sendable () -> Void)] = []
        var sources: [any DispatchSourceSignal] = []
        var interrupted = false
    }

    private static let state = Mutex(State())

    /// Runs `undo` if the process is interrupted before ``done(_:)`` is called with the returned token. The first
    /// registration installs the handlers of SIGINT and SIGTERM.
    static func register(_ undo: @escaping @Sendable () -> Void) -> Token {
        state.withLock { state in
            if state.sources.isEmpty { state.sources = [SIGINT, SIGTERM].map(install) }
            state.next += 1
            state.undos.append((state.next, undo))
            return Token(id: state.next)
        }
    }

    /// Forgets the undo of `token`: its owner has cleaned up.
    static func done(_ token: Token) {
        state.withLock { state in state.undos.removeAll { $0.id == token.id } }
    }

    private static func install(_ number: Int32) -> any DispatchSourceSignal {
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler { interrupted(by: number) }
        source.resume()
        return source
    }

    private static func interrupted(by number: Int32) {
        let undos: [@Sendable () -> Void]? = state.withLock { state in
            guard !state.interrupted else { return nil }
            state.interrupted = true
            defer { state.undos.removeAll() }
            return state.undos.map(\.undo)
        }
        guard let undos else { exit(128 + number) }
        // A second signal now ends the process by its default action, whatever the undos are doing.
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        if !undos.isEmpty { Terminal.note("interrupted: cleaning up (again to stop at once)") }
        for undo in undos.reversed() { undo() }
        exit(128 + number)
    }
}
