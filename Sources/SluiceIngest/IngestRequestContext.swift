import Hummingbird
import NIOCore

/// The request context of `sluice serve`: Hummingbird's core context plus the peer's address, which is the
/// client's IP address when an event carries no `context.ip`.
package struct IngestRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    package let remoteAddress: SocketAddress?

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// Bodies are collected by the handlers with their own limit, which is configurable.
    package var maxUploadSize: Int { 64 << 20 }
}
