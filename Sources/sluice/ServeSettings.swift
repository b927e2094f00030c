import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SluiceCore
import SluiceEnrichment
import SluiceIngest
import SluicePostgres
import SluiceScheduler
import SluiceSchedulerCore
import SluiceServer
import SluiceStatsAPI
import SluiceSpool
import SluiceStore

/// `sluice serve`'s options merged with their `SLUICE_…` variables (the option wins), validated.
struct ServeSettings {
    var configuration: IngestConfiguration
    var stats: StatsAPIConfiguration
    var runJobs: Bool
    var logLevel: Logger.Level
    var scheduler: SchedulerSettings
    /// How the jobs yield to the loader while it is saturated.
    var jobPacing: JobPacing

    init(_ command: Serve, environment: [String: String]) throws {
        func value<T: LosslessStringConvertible>(_ option: T?, _ name: String, _ fallback: T) throws -> T {
            if let option { return option }
            guard let text = environment[name], !text.isEmpty else { return fallback }
            guard let parsed = T(text) else { throw ValidationError("\(name)='\(text)' is not a valid value") }
            return parsed
        }
        func positive<T: BinaryInteger>(_ value: T, _ what: String) throws -> T {
            guard value > 0 else { throw ValidationError("\(what) must be positive, not \(value)") }
            return value
        }

        var configuration = IngestConfiguration(connectionString: "")
        configuration.host = try value(command.host, "SLUICE_HOST", configuration.host)
        configuration.port = try value(command.port, "SLUICE_PORT", configuration.port)
        guard (0...65535).contains(configuration.port) else {
            throw ValidationError("--port must be in 0...65535, not \(configuration.port)")
        }
        configuration.spoolDirectory = try value(command.spoolDirectory, "SLUICE_SPOOL_DIR", configuration.spoolDirectory)
        let ack = try value(command.ack, "SLUICE_ACK", configuration.ack.rawValue)
        guard let ackMode = AckMode(rawValue: ack) else {
            throw ValidationError("--ack must be durable or memory, not '\(ack)'")
        }
        configuration.ack = ackMode
        configuration.nodeID = try value(command.nodeID, "SLUICE_NODE_ID", configuration.nodeID)
        configuration.spoolMaxBytes = try positive(
            value(command.spoolMaxBytes, "SLUICE_SPOOL_MAX_BYTES", configuration.spoolMaxBytes), "--spool-max-bytes"
        )
        configuration.limits.maxEventBytes = try positive(
            value(command.maxEventBytes, "SLUICE_MAX_EVENT_BYTES", configuration.limits.maxEventBytes), "--max-event-bytes"
        )
        configuration.limits.maxBatchEvents = try positive(
            value(command.maxBatchEvents, "SLUICE_MAX_BATCH_EVENTS", configuration.limits.maxBatchEvents),
            "--max-batch-events"
        )
        configuration.maxRequestBytes = try positive(
            value(command.maxRequestBytes, "SLUICE_MAX_REQUEST_BYTES", configuration.maxRequestBytes),
            "--max-request-bytes"
        )
        configuration.maxInflationRatio = try positive(
            value(command.maxInflationRatio, "SLUICE_MAX_INFLATION_RATIO", configuration.maxInflationRatio),
            "--max-inflation-ratio"
        )
        let window = try positive(
            value(command.dedupeWindowSeconds, "SLUICE_DEDUPE_WINDOW", configuration.dedupeWindow.components.seconds),
            "--dedupe-window"
        )
        configuration.dedupeWindow = .seconds(window)
        configuration.dedupeCapacity = try positive(
            value(command.dedupeCapacity, "SLUICE_DEDUPE_CAPACITY", configuration.dedupeCapacity), "--dedupe-capacity"
        )
        let ipMode = try value(command.ipMode, "SLUICE_IP_MODE", configuration.ipMode.rawValue)
        guard let mode = IPMode(rawValue: ipMode) else {
            throw ValidationError("--ip-mode must be drop, truncate or hash, not '\(ipMode)'")
        }
        configuration.ipMode = mode
        let header = try value(command.countryHeader, "SLUICE_COUNTRY_HEADER", "none")
        configuration.countryHeader = header == "none" || header.isEmpty ? nil : header
        configuration.ringCapacity = try positive(
            value(command.ringCapacity, "SLUICE_RING_CAPACITY", configuration.ringCapacity), "--ring-capacity"
        )
        let deadline = try value(command.shutdownDeadlineSeconds, "SLUICE_SHUTDOWN_DEADLINE", 30)
        guard deadline >= 0 else { throw ValidationError("--shutdown-deadline must not be negative") }
        configuration.shutdownDeadline = .seconds(deadline)

        // The partition window: one reading, shared by the decoder, the loader, the rebuild and the jobs.
        do {
            configuration.partitionWindow = try PartitionWindow.fromEnvironment(environment)
        } catch {
            throw ValidationError(error.description)
        }

        // Connections: timeouts and bounds.
        configuration.idleTimeout = .seconds(
            try positive(
                value(command.idleTimeoutSeconds, "SLUICE_IDLE_TIMEOUT", Int(configuration.idleTimeout.components.seconds)),
                "--idle-timeout"
            )
        )
        configuration.readTimeout = .seconds(
            try positive(
                value(command.readTimeoutSeconds, "SLUICE_READ_TIMEOUT", Int(configuration.readTimeout.components.seconds)),
                "--read-timeout"
            )
        )
        configuration.maxConnections = try positive(
            value(command.maxConnections, "SLUICE_MAX_CONNECTIONS", configuration.maxConnections), "--max-connections"
        )
        configuration.maxInflightRequests = try positive(
            value(command.maxInflightRequests, "SLUICE_MAX_INFLIGHT_REQUESTS", configuration.maxInflightRequests),
            "--max-inflight-requests"
        )
        self.configuration = configuration

        var stats = StatsAPIConfiguration(connectionString: "")
        stats.poolSize = try positive(
            value(command.statsConnections, "SLUICE_STATS_CONNECTIONS", stats.poolSize), "--stats-connections"
        )
        let timeout = try value(command.statsStatementTimeout, "SLUICE_STATS_STATEMENT_TIMEOUT", 10.0)
        guard timeout >= 0.001, timeout <= 86_400 else {
            throw ValidationError("--stats-statement-timeout must be from 0.001 to 86400 seconds, not \(timeout)")
        }
        stats.statementTimeout = .milliseconds(Int64((timeout * 1000).rounded()))
        self.stats = stats

        runJobs = !(command.noJobs || ["1", "true", "yes"].contains(environment["SLUICE_NO_JOBS"]?.lowercased() ?? ""))
        let level = try value(command.logLevel, "SLUICE_LOG_LEVEL", "info")
        guard let logLevel = Logger.Level(rawValue: level) else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        self.logLevel = logLevel

        scheduler = try SchedulerSettings(
            intervals: command.jobIntervals, leaseTimeouts: command.jobLeaseTimeouts, environment: environment
        )
        let share = try value(command.jobsBusyShare, "SLUICE_JOBS_BUSY_SHARE", JobPacing.standard.percent)
        guard let pacing = JobPacing(percent: share) else {
            throw ValidationError("--jobs-busy-share must be a percent from 1 to 100, not '\(share)'")
        }
        jobPacing = pacing
    }

    /// Opens the database (the embedded one by default), serves until SIGTERM/SIGINT, then shuts down.
    ///
    /// - Parameters:
    ///   - migrate: apply the migrations to a configured database too (the embedded one always is); otherwise a
    ///     configured database must carry the current schema.
    ///   - prepare: runs with the database's connection string once it is migrated, before the server starts.
    ///   - listening: called with the address and port once the server listens (on an event loop: return fast).
    func serve(
        database: DatabaseOptions, migrate: Bool = false, prepare: ((String) throws -> Void)? = nil,
        listening: (@Sendable (String, Int) -> Void)? = nil
    ) async throws {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "sluice")
        var configuration = self.configuration
        // Before the database and before anything reads the spool: a second server on the same directory
        // must stop here, having touched nothing.
        let openedSpool = try SpoolDirectory.open(configuration.spoolDirectory, storage: configuration.spoolStorage)

        var embedded: EmbeddedDatabase?
        if let url = database.configuredURL {
            configuration.connectionString = url
            // Unreachable for now is not fatal: the server starts without it if it has run against it before
            // (IngestServer decides, and says so). A refusal (wrong password, unknown database) is.
            let connection: PostgresConnection?
            do {
                connection = try PostgresConnection.connect(url, retry: .never)
            } catch where IngestServer.isOutage(error) {
                connection = nil
            } catch {
                throw StoreError("\(error.description) (check \(database.source))")
            }
            if let connection {
                if migrate {
                    try Migrator.bundled().migrate(connection)
                } else {
                    try SchemaCheck.requireCurrent(connection)
                }
            }
        } else {
            let opened = try EmbeddedDatabase.open()
            embedded = opened
            configuration.connectionString = opened.connectionString
            let connection = try DatabaseOptions.connect(opened.connectionString, source: "the embedded cluster")
            try Migrator.bundled().migrate(connection)
        }
        defer { embedded?.close() }
        try prepare?(configuration.connectionString)

        let secret = try IPSecret.load(spoolDirectory: configuration.spoolDirectory)
        let server = try IngestServer(configuration: configuration, spool: openedSpool, secret: secret, logger: logger)
        var composition = SluiceApplication(ingest: server, logger: logger)
        var stats = self.stats
        stats.connectionString = configuration.connectionString
        let pool = composition.addStats(stats)
        composition.addExperiments(connectionString: configuration.connectionString, pool: pool)
        if runJobs {
            composition.add(
                service: Scheduler(
                    connectionString: configuration.connectionString,
                    holder: JobHolder.identity(role: configuration.nodeID), entries: scheduler.entries,
                    metrics: SchedulerMetrics(registry: IngestMetrics.registry, jobs: scheduler.entries.map(\.job.name)),
                    yielding: JobYielding(pacing: jobPacing, isSaturated: { [loader = server.loader] in loader.isSaturated }),
                    shutdownDeadline: configuration.shutdownDeadline, logger: logger
                )
            )
        }
        let ack = configuration.ack
        let spool = configuration.spoolDirectory
        let app = composition.application { channel in
            let address = channel.localAddress
            Terminal.note(
                "listening on http://\(address?.ipAddress ?? "?"):\(address?.port ?? 0) "
                    + "(ack \(ack.rawValue), spool \(spool)); ready when GET /readyz answers 200"
            )
            listening?(address?.ipAddress ?? "127.0.0.1", address?.port ?? 0)
        }
        try await app.runService()
        Terminal.note("stopped")
    }
}

/// The secret from which the daily salt of `--ip-mode hash` is derived: `SLUICE_IP_SECRET` (64 hexadecimal
/// digits), else a random one of 32 bytes kept in the spool directory, so that hashes stay stable across restarts
/// within a day.
enum IPSecret {
    /// The secret's length in bytes (docs/operations.md).
    static let length = 32

    /// - Throws: `ValidationError` when `SLUICE_IP_SECRET` is not 64 hexadecimal digits, or `SPOOL_DIR/ip-secret`
    ///   exists with another length than 32 bytes (replacing it would silently change every address hash).
    static func load(spoolDirectory: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws -> [UInt8]
    {
        if let hex = environment["SLUICE_IP_SECRET"], !hex.isEmpty {
            guard let bytes = bytes(hex: hex), bytes.count == length else {
                throw ValidationError(
                    "SLUICE_IP_SECRET must be 64 hexadecimal digits (32 bytes, e.g. from 'openssl rand -hex 32'), "
                        + "not \(hex.utf8.count) characters"
                )
            }
            return bytes
        }
        let path = spoolDirectory + "/ip-secret"
        if let data = FileManager.default.contents(atPath: path) {
            guard data.count == length else {
                throw ValidationError(
                    "\(path) holds \(data.count) bytes, not \(length): restore it, or delete it to start with a new "
                        + "secret (today's address hashes then change)"
                )
            }
            return Array(data)
        }
        try FileManager.default.createDirectory(atPath: spoolDirectory, withIntermediateDirectories: true)
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<length).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        guard FileManager.default.createFile(atPath: path, contents: Data(secret), attributes: [.posixPermissions: 0o600])
        else {
            throw ValidationError("cannot write \(path): check that the spool directory is writable")
        }
        return secret
    }

    private static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count.isMultiple(of: 2) else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}
