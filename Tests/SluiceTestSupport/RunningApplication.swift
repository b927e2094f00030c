import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// Runs a Hummingbird application on a free loopback port while `body` runs, then shuts it down gracefully.
///
/// - Parameters:
///   - make: builds the application from the callback it must pass as `onServerRunning` (which reports the port).
///   - body: gets the bound port.
/// - Throws: what `body` or the application throws, or ``ServerDidNotStart``.
package func withRunningApplication<App: ApplicationProtocol, T: Sendable>(
    logger: Logger,
    _ make: (@escaping @Sendable (any Channel) async -> Void) -> App,
    _ body: (Int) async throws -> T
) async throws -> T {
    let port = AsyncStream<Int>.makeStream()
    let app = make { channel in
        port.continuation.yield(channel.localAddress?.port ?? 0)
        port.continuation.finish()
    }
    let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
    let running = Task { try await group.run() }
    var iterator = port.stream.makeAsyncIterator()
    guard let bound = await iterator.next() else {
        running.cancel()
        throw ServerDidNotStart()
    }
    do {
        let result = try await body(bound)
        await group.triggerGracefulShutdown()
        try await running.value
        return result
    } catch {
        await group.triggerGracefulShutdown()
        _ = try? await running.value
        throw error
    }
}

/// The application ended before it listened.
package struct ServerDidNotStart: Error, CustomStringConvertible {
    package var description: String { "the server did not start" }
}
