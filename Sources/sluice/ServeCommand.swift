import ArgumentParser
import Foundation
import Logging
import SluiceEnrichment
import SluiceIngest
import SluicePostgres
import SluiceSchedulerCore
import SluiceStore

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the server: Segment's HTTP Tracking API into PostgreSQL, and the Stats API for dashboards.",
        discussion: """
            Every option can also be set with the SLUICE_… environment variable named in its help; the \
            option wins. Ready when GET /readyz answers 200. GET /sluice.js serves the tracker for web pages \
            (docs/tracker.md); the Segment endpoints answer CORS, so pages of any origin can post. SIGTERM or \
            SIGINT stops taking requests, drains what was accepted into the spool and lets the loader copy it \
            into PostgreSQL until \
            --shutdown-deadline seconds after the signal; connections still open then are closed, and whatever \
            is not loaded is loaded at the next start.

            Examples:
              sluice serve
              sluice serve --host 0.0.0.0 --port 8080 --node-id ingest-1 --no-jobs
            """
    )

    @Option(help: help("The address to listen on", env: "SLUICE_HOST", default: "127.0.0.1"))
    var host: String?
    @Option(help: help("The port to listen on; 0 picks a free one", env: "SLUICE_PORT", default: "8080"))
    var port: Int?
    @Option(name: .customLong("spool-dir"), help: help("The spool's directory, locked by one server at a time", env: "SLUICE_SPOOL_DIR", default: ".sluice/spool"))
    var spoolDirectory: String?
    @Option(help: help("When to answer 200: durable (after fsync) or memory (after the ring; a crash loses the unflushed events)", env: "SLUICE_ACK", default: "durable"))
    var ack: String?
    @Flag(name: .customLong("no-jobs"), help: "Do not run the scheduled jobs in this process (env SLUICE_NO_JOBS=1).")
    var noJobs = false
    @Option(name: .customLong("node-id"), help: help("This server's name for its spool checkpoint; one per spool directory", env: "SLUICE_NODE_ID", default: "default"))
    var nodeID: String?
    @Option(name: .customLong("spool-max-bytes"), help: help("The spool's disk budget; at it, requests get 503", env: "SLUICE_SPOOL_MAX_BYTES", default: "4294967296"))
    var spoolMaxBytes: Int64?
    @Option(name: .customLong("max-event-bytes"), help: help("The largest event", env: "SLUICE_MAX_EVENT_BYTES", default: "32768"))
    var maxEventBytes: Int?
    @Option(name: .customLong("max-batch-events"), help: help("The most events in one batch", env: "SLUICE_MAX_BATCH_EVENTS", default: "2500"))
    var maxBatchEvents: Int?
    @Option(name: .customLong("max-request-bytes"), help: help("The largest request body, compressed or inflated", env: "SLUICE_MAX_REQUEST_BYTES", default: "512000"))
    var maxRequestBytes: Int?
    @Option(name: .customLong("max-inflation-ratio"), help: help("The largest inflated/compressed size ratio of a body", env: "SLUICE_MAX_INFLATION_RATIO", default: "100"))
    var maxInflationRatio: Int?
    @Option(name: .customLong("dedupe-window"), help: help("Seconds a messageId is remembered per project", env: "SLUICE_DEDUPE_WINDOW", default: "86400"))
    var dedupeWindowSeconds: Int64?
    @Option(name: .customLong("dedupe-capacity"), help: help("The most messageIds remembered (about 36 bytes each, reserved at start)", env: "SLUICE_DEDUPE_CAPACITY", default: "5000000"))
    var dedupeCapacity: Int?
    @Option(name: .customLong("ip-mode"), help: help("What is stored of client IP addresses: drop, truncate (/24, /48) or hash (daily-rotating salt)", env: "SLUICE_IP_MODE", default: "truncate"))
    var ipMode: String?
    @Option(name: .customLong("country-header"), help: help("A trusted request header holding the client's country code, e.g. CF-IPCountry", env: "SLUICE_COUNTRY_HEADER", default: "none"))
    var countryHeader: String?
    @Option(name: .customLong("ring-capacity"), help: help("Requests the ring holds between the handlers and the spool", env: "SLUICE_RING_CAPACITY", default: "4096"))
    var ringCapacity: Int?
    @Option(name: .customLong("shutdown-deadline"), help: help("Seconds a graceful shutdown may take: clients still connected then are cut off, the loader stops", env: "SLUICE_SHUTDOWN_DEADLINE", default: "30"))
    var shutdownDeadlineSeconds: Int?
    // Connections: timeouts and bounds.
    @Option(name: .customLong("idle-timeout"), help: help("Seconds a keep-alive connection may stay idle between requests before it is closed", env: "SLUICE_IDLE_TIMEOUT", default: "60"))
    var idleTimeoutSeconds: Int?
    @Option(name: .customLong("read-timeout"), help: help("Seconds a request's head and body may take to arrive, from its first byte; a slower one is cut off", env: "SLUICE_READ_TIMEOUT", default: "30"))
    var readTimeoutSeconds: Int?
    @Option(name: .customLong("max-connections"), help: help("The most open connections; more wait in the listen backlog", env: "SLUICE_MAX_CONNECTIONS", default: "1024"))
    var maxConnections: Int?
    @Option(name: .customLong("max-inflight-requests"), help: help("The most requests read and decoded at once; more get 503 after 250 ms", env: "SLUICE_MAX_INFLIGHT_REQUESTS", default: "128"))
    var maxInflightRequests: Int?
    // The Stats API's query pool (see StatsAPIConfiguration).
    @Option(name: .customLong("stats-connections"), help: help("Connections (each on its own thread) that run Stats API queries", env: "SLUICE_STATS_CONNECTIONS", default: "4"))
    var statsConnections: Int?
    @Option(name: .customLong("stats-statement-timeout"), help: help("Seconds a Stats API query may run before it is cancelled and answered 503", env: "SLUICE_STATS_STATEMENT_TIMEOUT", default: "10"))
    var statsStatementTimeout: Double?
    @Option(name: .customLong("log-level"), help: help("trace, debug, info, notice, warning, error or critical", env: "SLUICE_LOG_LEVEL", default: "info"))
    var logLevel: String?
    @OptionGroup var database: DatabaseOptions

    // The scheduler (see SchedulerSettings).
    @Option(
        name: .customLong("job-interval"),
        help: ArgumentHelp(
            "How often a job runs, NAME=DURATION (e.g. partitions=15m; 90, 90s, 15m, 2h, 1d); repeatable "
                + "(env SLUICE_JOB_INTERVAL_NAME; default per job: partitions 1h, sessions 1m, rollups 1m, "
                + "assignments 5m).",
            valueName: "name=duration"
        )
    )
    var jobIntervals: [String] = []
    @Option(
        name: .customLong("job-lease-timeout"),
        help: ArgumentHelp(
            "How soon another node may take over a job whose holder died, NAME=DURATION; repeatable "
                + "(env SLUICE_JOB_LEASE_TIMEOUT_NAME; default per job: partitions 1m, sessions 2m, rollups 2m, "
                + "assignments 2m).",
            valueName: "name=duration"
        )
    )
    var jobLeaseTimeouts: [String] = []
    @Option(
        name: .customLong("jobs-busy-share"),
        help: help(
            "While the loader is saturated, the percent of their time the jobs keep working (1-100; 100 never "
                + "yields): they pause between units of work so that ingest keeps the database's CPU",
            env: "SLUICE_JOBS_BUSY_SHARE", default: JobPacing.standard.percent
        )
    )
    var jobsBusyShare: String?

    private static func help(_ text: String, env: String, default value: String) -> ArgumentHelp {
        ArgumentHelp("\(text) (env \(env); default \(value)).")
    }

    func run() async throws {
        let settings: ServeSettings
        do {
            settings = try ServeSettings(self, environment: ProcessInfo.processInfo.environment)
        } catch {
            Terminal.error(error)
            throw ExitCode(64)
        }
        do {
            try await settings.serve(database: database)
        } catch {
            Terminal.error(error)
            throw ExitCode.failure
        }
    }
}
