#if canImport(Glibc)
import Glibc
#endif

/// Spawn attributes that start a child with SIGINT and SIGTERM at their default actions, even where this
/// process ignores them (a command that handles them on a dispatch source does), so that signalling the
/// child stops it as it would stop any process.
func withDefaultSignals<Result>(_ body: (inout posix_spawnattr_t) -> Result) -> Result {
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var defaults = sigset_t()
    sigemptyset(&defaults)
    sigaddset(&defaults, SIGINT)
    sigaddset(&defaults, SIGTERM)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF))
    return body(&attributes)
}
