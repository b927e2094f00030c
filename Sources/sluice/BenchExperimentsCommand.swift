import ArgumentParser
import Foundation
import SluiceCore
import SluiceExperiments
import SluiceExperimentsStore
import SluiceStore

/// `sluice bench experiments`: the variant endpoint's throughput over HTTP keep-alive, against a `sluice serve`
/// of this binary on a scratch database.
struct BenchExperiments: FailingCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiments",
        abstract: "The variant endpoint: GET /v1/experiments/KEY/variant requests per second over keep-alive.",
        discussion: """
            Starts sluice serve (this binary, --no-jobs) on a scratch database created on the configured server \
            and dropped after the run, with a project and a running three-way experiment (hash version 2, a \
            namespace, coverage 0.9). Then --requests requests, each for another userId and with the write key \
            as HTTP Basic, are sent over --connections keep-alive connections (one thread each, blocking \
            sockets, so the load generator costs the two cores little), after a warm-up of a tenth as many. \
            Every answer must be 200. --json prints one JSON line last: \
            {"requests":N,"connections":C,"requestsPerSecond":X,"p50Ms":A,"p99Ms":B}.

            Example:
              sluice bench experiments --requests 200000 --connections 4 --json
            """
    )

    @Option(help: "Requests to time.") var requests = 200_000
    @Option(help: "Concurrent keep-alive connections.") var connections = 4
    @Flag(help: "Print one JSON line last.") var json = false
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard (1...10_000_000).contains(requests) else { throw ValidationError("--requests must be in 1...10000000") }
        guard (1...256).contains(connections) else { throw ValidationError("--connections must be between 1 and 256") }
    }

    static let experimentFile = """
        {"key":"bench-checkout","variations":["control","treatment","bold"],"weights":[0.5,0.25,0.25],
         "coverage":0.9,"hashVersion":2,"namespace":["bench",0,0.9],"goalEvent":"Order Completed"}
        """

    func execute() throws {
        try database.withServer { connectionString, _ in
            let scratch = try ScratchDatabase(server: connectionString)
            defer { scratch.drop() }
            let connection = try scratch.connect()
            let project = try ProjectStore.create(name: "bench", on: connection).project
            _ = try ExperimentStore.save(
                try ExperimentDefinition(jsonText: Self.experimentFile), projectID: project.id, force: false,
                on: connection
            )
            let server = try LocalServer.start(database: scratch.connectionString, ack: "durable")
            defer { _ = server.stop() }

            let authorization = "Basic " + Data("\(project.writeKey):".utf8).base64EncodedString()
            func request(_ number: Int) -> [UInt8] {
                Array(
                    ("GET /v1/experiments/bench-checkout/variant?userId=user-\(number) HTTP/1.1\r\n"
                        + "Host: \(server.host):\(server.port)\r\nAuthorization: \(authorization)\r\n\r\n").utf8
                )
            }
            let warmUp = max(1, requests / 10)
            Terminal.note("warming up with \(warmUp) requests")
            _ = try LoadGenerator(
                host: server.host, port: server.port, requests: (0..<warmUp).map { request(-1 - $0) },
                eventsPerRequest: Array(repeating: 1, count: warmUp)
            ).run(connections: connections)

            Terminal.note("sending \(requests) requests over \(connections) keep-alive connection(s)")
            let generator = LoadGenerator(
                host: server.host, port: server.port, requests: (0..<requests).map(request),
                eventsPerRequest: Array(repeating: 1, count: requests)
            )
            let started = ContinuousClock.now
            let latencies = try generator.run(connections: connections).sorted()
            let seconds = BenchFigures.seconds(ContinuousClock.now - started)
            let rate = Double(requests) / seconds
            let p50 = BenchFigures.percentile(latencies, 0.5) * 1000
            let p99 = BenchFigures.percentile(latencies, 0.99) * 1000
            print(
                "variant endpoint: \(requests) requests in \(String(format: "%.2f", seconds)) s over \(connections) "
                    + "connection(s): \(BenchFigures.format(rate)) requests/s, p50 \(String(format: "%.3f", p50)) ms, "
                    + "p99 \(String(format: "%.3f", p99)) ms"
            )
            if json {
                print(
                    "{\"requests\":\(requests),\"connections\":\(connections),\"requestsPerSecond\":\(rate.rounded()),"
                        + "\"p50Ms\":\(p50),\"p99Ms\":\(p99)}"
                )
            }
        }
    }
}
