import ArgumentParser
import Foundation

/// `sluice demo`: the embedded database, the whole server, and a few days of generated traffic for two demo sites,
/// then the dashboard's address; serves until Ctrl-C.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Try Sluice: a server with a few days of realistic traffic for two demo sites, and where to look.",
        discussion: """
            Starts the embedded PostgreSQL under ./.sluice/postgres (or uses --database-url / SLUICE_DATABASE_URL), \
            applies the schema, creates the projects "Demo shop" and "Demo blog" and the shop's experiment \
            "checkout-button", and starts the server (ingest, Stats API, dashboard, scheduler) as sluice serve \
            does. It then sends --days days of generated traffic for both sites through the server's own \
            /v1/batch endpoint, the way a Segment SDK sends it: page views over a popularity curve, referrers, UTM \
            campaigns, countries, browsers and devices, visits of several pages and bounces, a daily and hourly \
            rhythm, goal events, and the experiment's exposures, whose treatment wins. Once everything is loaded it \
            runs the sessions, rollups and assignments jobs once, so the numbers are there at once, and prints \
            each site's dashboard address (with its read key after #key=), its write key and a curl line. It \
            serves until Ctrl-C (SIGINT or SIGTERM stop it gracefully and stop the embedded PostgreSQL).

            Run again, it finds the two projects and sends nothing new (no duplicates); it prints new read keys \
            for them (the earlier ones stop working). Delete ./.sluice to start over. Every sluice serve setting \
            can be given through its SLUICE_… variable.

            Examples:
              sluice demo
              sluice demo --port 9090 --days 14 --seed 7
              scripts/run.sh demo
            """
    )

    @Option(help: "The port to listen on; 0 picks a free one.") var port = 8080
    @Option(help: "Days of traffic to generate, up to today (1-30).") var days = 7
    @Option(help: "The traffic's seed: equal seeds give equal traffic.") var seed: UInt64 = 1
    @Option(name: .customLong("spool-dir"), help: "The spool's directory, as for sluice serve.")
    var spoolDirectory = ".sluice/spool"
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard (1...30).contains(days) else { throw ValidationError("--days must be in 1...30, not \(days)") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535, not \(port)") }
    }

    func run() async throws {
        let settings: ServeSettings
        do {
            let serve = try Serve.parse(["--port", String(port), "--spool-dir", spoolDirectory])
            settings = try ServeSettings(serve, environment: ProcessInfo.processInfo.environment)
        } catch {
            Terminal.error(error)
            throw ExitCode(64)
        }
        let session = DemoSession(days: days, seed: seed)
        do {
            try await settings.serve(
                database: database, migrate: true, prepare: { try session.prepare(connectionString: $0) },
                listening: { host, port in session.start(host: host, port: port) }
            )
        } catch {
            Terminal.error(error)
            throw ExitCode.failure
        }
        if session.failed { throw ExitCode.failure }
    }
}
