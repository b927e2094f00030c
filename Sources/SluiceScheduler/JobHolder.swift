#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The identity a process takes leases under: `ROLE@HOST:PID`, unique per process across machines.
///
/// The role says what kind of process it is (`sluice serve`'s `--node-id`, or `jobs-run` for a run from
/// cron); the host name and process id make two processes with the same role distinct, so one can never
/// renew or release the other's lease.
public enum JobHolder {
    public static func identity(role: String) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        let host = gethostname(&buffer, buffer.count - 1) == 0 ? String(cString: buffer) : "localhost"
        let short = host.split(separator: ".").first.map(String.init) ?? "localhost"
        return String("\(role)@\(short):\(getpid())".prefix(200))
    }
}
