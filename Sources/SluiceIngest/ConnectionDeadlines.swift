import Logging
import Metrics
import NIOCore
import NIOHTTPTypes

/// The deadlines of one HTTP connection that Hummingbird's `idleTimeout` does not enforce: the whole request
/// within `--read-timeout`, and the whole connection within the shutdown deadline once shutdown has begun.
///
/// Hummingbird's idle timer restarts on every parsed HTTP part. A client that trickles a body a byte a second
/// produces a part a second and is never idle; one that trickles its head produces no part until the head is
/// complete and is cut only at `--idle-timeout`. So this handler watches raw bytes too: the read deadline
/// starts at the first byte of a request (the first byte on the connection, or the first after the previous
/// request's end) and is cancelled when the decoder delivers the request's end. A connection still reading
/// its request at the deadline is closed; its handler sees the body stream fail and the client sees the
/// connection close. Time spent answering (waiting for the spool) does not count, nor does idle time between
/// requests, which is `--idle-timeout`'s.
///
/// On graceful shutdown Hummingbird sends each connection `ChannelShouldQuiesceEvent`: idle ones close at once,
/// busy ones after their current response. A client that never finishes its request would hold the server
/// (and the process) open for ever, so at the quiesce event this handler arms a second timer for the
/// ``ShutdownDeadline`` and closes the connection if it is still open then, with a warning in the log.
///
/// Added through `HTTP1Channel.Configuration.additionalChannelHandlers`, so it sits after the HTTP decoder and
/// sees ``HTTPRequestPart``s; when added it puts a small companion handler at the front of the pipeline, ahead
/// of the decoder, to see the raw bytes. Both run on the channel's event loop only, and share one
/// ``ConnectionDeadlines/State``.
final class ConnectionDeadlines: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let state: State

    /// - Parameters:
    ///   - readTimeout: how long a request's head and body may take to arrive, from its first byte.
    ///   - shutdown: the deadline by which every connection is closed once graceful shutdown has begun.
    init(readTimeout: TimeAmount, shutdown: ShutdownDeadline, logger: Logger) {
        state = State(readTimeout: readTimeout, shutdown: shutdown, logger: logger)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        do {
            try context.pipeline.syncOperations.addHandler(RequestBytes(state: state), position: .first)
        } catch {
            state.logger.error("cannot watch the connection's bytes; closing it", metadata: ["error": "\(error)"])
            context.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = unwrapInboundIn(data) {
            state.requestArrived()
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        state.cancelTimers()
        context.fireChannelInactive()
    }

    /// Sees the bytes before the HTTP decoder: starts the read deadline, arms the shutdown deadline.
    final class RequestBytes: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer

        private let state: State

        init(state: State) {
            self.state = state
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            state.bytesArrived(on: context.channel)
            context.fireChannelRead(data)
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if event is ChannelShouldQuiesceEvent {
                state.shutdownBegan(on: context.channel)
            }
            context.fireUserInboundEventTriggered(event)
        }

        func channelInactive(context: ChannelHandlerContext) {
            state.cancelTimers()
            context.fireChannelInactive()
        }
    }

    /// What both handlers share; touched on the channel's event loop only.
    final class State {
        let readTimeout: TimeAmount
        let shutdown: ShutdownDeadline
        let logger: Logger
        /// Set from the first byte of a request until its end is decoded.
        private var readTimer: Scheduled<Void>?
        private var shutdownTimer: Scheduled<Void>?

        private static let closedForReadTimeout = Counter(
            label: "sluice_connections_closed_total", dimensions: [("reason", "read_timeout")]
        )
        private static let closedAtShutdown = Counter(
            label: "sluice_connections_closed_total", dimensions: [("reason", "shutdown_deadline")]
        )

        init(readTimeout: TimeAmount, shutdown: ShutdownDeadline, logger: Logger) {
            self.readTimeout = readTimeout
            self.shutdown = shutdown
            self.logger = logger
        }

        func bytesArrived(on channel: any Channel) {
            guard readTimer == nil else { return }
            let timeout = readTimeout
            let logger = logger
            readTimer = channel.eventLoop.scheduleTask(in: timeout) {
                Self.closedForReadTimeout.increment()
                logger.info(
                    "closing a connection whose request did not arrive whole within the read timeout",
                    metadata: ["remote": "\(channel.remoteAddress?.description ?? "?")", "timeout": "\(timeout)"]
                )
                channel.close(promise: nil)
            }
        }

        func requestArrived() {
            readTimer?.cancel()
            readTimer = nil
        }

        func shutdownBegan(on channel: any Channel) {
            guard shutdownTimer == nil else { return }
            let deadline = shutdown.begin()
            let logger = logger
            let delay = TimeAmount.nanoseconds(max(0, (deadline - .now).nanoseconds))
            shutdownTimer = channel.eventLoop.scheduleTask(in: delay) {
                Self.closedAtShutdown.increment()
                logger.warning(
                    "shutdown deadline reached; gave up on a client still holding its connection open, closing it",
                    metadata: ["remote": "\(channel.remoteAddress?.description ?? "?")"]
                )
                channel.close(promise: nil)
            }
        }

        func cancelTimers() {
            readTimer?.cancel()
            readTimer = nil
            shutdownTimer?.cancel()
            shutdownTimer = nil
        }
    }
}

@available(*, unavailable)
extension ConnectionDeadlines: Sendable {}
