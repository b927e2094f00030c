import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import SluiceCore
import SluiceExperiments
import SluiceExperimentsStore
import SluiceIngest
import SluicePostgres
import SluiceServer
import SluiceStats
import SluiceStatsAPI
import SluiceStore
import SluiceTestSupport
import Testing
import Yams

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `docs/openapi.yaml` against the server: every route it registers is documented (and nothing else), every
/// parameter the Stats API's parser takes is documented with the values it accepts, every example fits its
/// schema, and real answers of a running server fit the documented schemas.
@Suite struct OpenAPIDocumentTests {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/openapi.yaml").path

    static func document() throws -> [String: Any] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try #require(try Yams.load(yaml: text) as? [String: Any], "\(path) is not a YAML mapping")
    }

    static let methods = ["get", "post", "put", "patch", "delete", "options", "head"]

    /// A server on a fresh database (one project, with one experiment, `checkout`), its router's routes, and
    /// `body` run with its address.
    static func withServer<T: Sendable>(
        _ body: (_ routes: [String], _ baseURL: String, _ keys: ProjectStore.Created) async throws -> T
    ) async throws -> T {
        let database = try TestDatabase.fresh("openapi")
        let connection = try PostgresConnection(database)
        try Migrator.bundled().migrate(connection)
        let created = try ProjectStore.create(name: "OpenAPI", on: connection)
        let experiment = try ExperimentDefinition(
            jsonText: #"{"key":"checkout","variations":["control",{"layout":"new"}],"goalEvent":"Order Completed"}"#
        )
        _ = try ExperimentStore.save(experiment, projectID: created.project.id, force: false, on: connection)
        var logger = Logger(label: "openapi-test")
        logger.logLevel = .critical
        var configuration = IngestConfiguration(connectionString: database)
        configuration.port = 0
        configuration.spoolDirectory =
            FileManager.default.temporaryDirectory.path + "/sluice-openapi-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: configuration.spoolDirectory) }
        let ingest = try IngestServer(
            configuration: configuration, secret: Array(repeating: 1, count: 32), logger: logger)
        var composition = SluiceApplication(ingest: ingest, logger: logger)
        let pool = composition.addStats(StatsAPIConfiguration(connectionString: database))
        composition.addExperiments(connectionString: database, pool: pool)
        let routes = composition.router().routes.map { "\($0.method.rawValue.lowercased()) \($0.path)" }
        return try await withRunningApplication(logger: logger, { composition.application(onServerRunning: $0) }) {
            try await body(routes, "http://127.0.0.1:\($0)", created)
        }
    }

    @Test func isOpenAPI31() throws {
        let document = try Self.document()
        #expect((document["openapi"] as? String)?.hasPrefix("3.1.") == true)
        #expect((document["info"] as? [String: Any])?["title"] as? String == "Sluice")
    }

    @Test func documentsEveryRouteTheServerHasAndNoOther() async throws {
        let paths = try #require(try Self.document()["paths"] as? [String: Any])
        var documented = Set<String>()
        for (path, item) in paths {
            for method in Self.methods where (item as? [String: Any])?[method] != nil {
                documented.insert("\(method) \(path)")
            }
        }
        try await Self.withServer { routes, _, _ in
            #expect(!routes.isEmpty)
            #expect(
                Set(routes).subtracting(documented).isEmpty,
                "undocumented: \(Set(routes).subtracting(documented).sorted())")
            #expect(
                documented.subtracting(routes).isEmpty,
                "documented but not served: \(documented.subtracting(routes).sorted())")
        }
    }

    /// The query parameters of an operation, `$ref`s resolved.
    static func parameters(_ operation: [String: Any], in checker: SchemaChecker) -> [String: [String: Any]] {
        var found: [String: [String: Any]] = [:]
        for entry in operation["parameters"] as? [Any] ?? [] {
            var parameter = entry as? [String: Any] ?? [:]
            if let reference = parameter["$ref"] as? String {
                parameter = checker.resolve(reference) as? [String: Any] ?? [:]
            }
            if parameter["in"] as? String == "query", let name = parameter["name"] as? String {
                found[name] = parameter
            }
        }
        return found
    }

    @Test func documentsEveryParameterTheStatsParserTakes() throws {
        let document = try Self.document()
        let checker = SchemaChecker(document: document)
        let paths = try #require(document["paths"] as? [String: Any])
        for endpoint in StatsEndpoint.allCases {
            let operation = try #require(
                (paths[endpoint.path] as? [String: Any])?["get"] as? [String: Any], "\(endpoint.path) is not documented"
            )
            let parameters = Self.parameters(operation, in: checker)
            #expect(Set(parameters.keys) == Set(endpoint.parameters), "\(endpoint.path)")
            for (name, parameter) in parameters {
                #expect(parameter["description"] as? String != nil, "\(endpoint.path) \(name) has no description")
                #expect(parameter["example"] != nil, "\(endpoint.path) \(name) has no example")
            }
            #expect(operation["security"] != nil)
            let responses = try #require(operation["responses"] as? [String: Any])
            #expect(Set(responses.keys) == ["200", "400", "401", "500", "503"], "\(endpoint.path)")
        }
        // The values the parser accepts, exactly.
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
        func enumeration(_ name: String) -> [String] {
            (schemas[name] as? [String: Any])?["enum"] as? [String] ?? []
        }
        #expect(enumeration("Metric") == StatsMetric.allCases.map(\.name))
        #expect(enumeration("Property") == StatsProperty.allCases.map(\.name))
        #expect(Set(enumeration("PropertyParameter")) == Set(StatsProperty.acceptedNames))
        for name in enumeration("PropertyParameter") { #expect(StatsProperty(parameter: name) != nil, "\(name)") }
        let interval = Self.parameters(
            try #require((paths["/v1/stats/timeseries"] as? [String: Any])?["get"] as? [String: Any]), in: checker
        )["interval"]
        let intervals = (interval?["schema"] as? [String: Any])?["enum"] as? [String] ?? []
        #expect(Set(intervals) == Set(StatsInterval.allCases.map(\.rawValue) + ["date"]))
    }

    /// Every example of every response and request body, with the schema it must fit.
    static func examples(_ document: [String: Any], _ checker: SchemaChecker) -> [(String, Any, Any)] {
        var found: [(String, Any, Any)] = []
        func collect(_ content: Any?, _ location: String) {
            for (type, media) in content as? [String: Any] ?? [:] {
                guard let media = media as? [String: Any], let schema = media["schema"] else { continue }
                if let example = media["example"] {
                    found.append(("\(location) \(type)", example, schema))
                }
                for (name, entry) in media["examples"] as? [String: Any] ?? [:] {
                    if let value = (entry as? [String: Any])?["value"] {
                        found.append(("\(location) \(type) \(name)", value, schema))
                    }
                }
            }
        }
        for (path, item) in document["paths"] as? [String: Any] ?? [:] {
            for method in methods {
                guard let operation = (item as? [String: Any])?[method] as? [String: Any] else { continue }
                collect((operation["requestBody"] as? [String: Any])?["content"], "\(method) \(path) body")
                for (status, response) in operation["responses"] as? [String: Any] ?? [:] {
                    var response = response as? [String: Any] ?? [:]
                    if let reference = response["$ref"] as? String {
                        response = checker.resolve(reference) as? [String: Any] ?? [:]
                    }
                    collect(response["content"], "\(method) \(path) \(status)")
                }
            }
        }
        return found
    }

    @Test func everyExampleFitsItsSchema() throws {
        let document = try Self.document()
        let checker = SchemaChecker(document: document)
        let examples = Self.examples(document, checker)
        #expect(examples.count >= 30)
        for (location, example, schema) in examples {
            let problems = checker.problems(example, schema)
            #expect(problems.isEmpty, "\(location): \(problems)")
        }
    }

    @Test func realAnswersFitTheDocumentedSchemas() async throws {
        let document = try Self.document()
        let checker = SchemaChecker(document: document)
        let paths = try #require(document["paths"] as? [String: Any])
        func schema(_ path: String, _ method: String, _ status: Int) -> Any? {
            guard let operation = (paths[path] as? [String: Any])?[method] as? [String: Any],
                var response = (operation["responses"] as? [String: Any])?[String(status)] as? [String: Any]
            else { return nil }
            if let reference = response["$ref"] as? String {
                response = checker.resolve(reference) as? [String: Any] ?? [:]
            }
            return ((response["content"] as? [String: Any])?["application/json"] as? [String: Any])?["schema"]
        }
        let today = CalendarDay.today()
        let window = "from=\(today.adding(days: -2))&to=\(today)"
        try await Self.withServer { _, baseURL, keys in
            func call(
                _ method: String, _ path: String, documentedAs documentedPath: String? = nil, query: String = "",
                body: String? = nil, bearer: String? = nil
            ) async throws {
                var request = URLRequest(
                    url: try #require(URL(string: baseURL + path + (query.isEmpty ? "" : "?" + query))))
                request.httpMethod = method.uppercased()
                if let body {
                    request.httpBody = Data(body.utf8)
                    request.setValue(
                        "Basic " + Data("\(keys.project.writeKey):".utf8).base64EncodedString(),
                        forHTTPHeaderField: "Authorization")
                }
                if let bearer { request.setValue("Bearer \(bearer)", forHTTPHeaderField: "Authorization") }
                let (data, response) = try await URLSession.shared.data(for: request)
                let status = try #require(response as? HTTPURLResponse).statusCode
                let documented = try #require(
                    schema(documentedPath ?? path, method, status),
                    "\(method) \(path) answered \(status), not documented")
                let value = try JSONSerialization.jsonObject(with: data)
                let problems = checker.problems(value, documented)
                #expect(
                    problems.isEmpty,
                    "\(method) \(path)?\(query) \(status): \(problems) in \(String(decoding: data, as: UTF8.self))")
            }
            let all = StatsMetric.allCases.filter { $0 != .conversionRate }.map(\.name).joined(separator: ",")
            try await call(
                "post", "/v1/batch",
                body:
                    #"{"batch":[{"type":"page","anonymousId":"a","context":{"page":{"path":"/"}}},"#
                        + #"{"type":"track","userId":"u"}]}"#
            )
            try await call("post", "/v1/track", body: #"{"userId":"u","event":"Signup"}"#)
            try await call("post", "/v1/page", body: "not json")
            try await call("get", "/healthz")
            try await call("get", "/readyz")
            try await call("get", "/v1/stats/aggregate", query: "\(window)&metrics=\(all)", bearer: keys.readKey)
            try await call(
                "get", "/v1/stats/timeseries", query: "\(window)&metrics=\(all)&interval=hour", bearer: keys.readKey)
            try await call(
                "get", "/v1/stats/breakdown", query: "\(window)&metrics=\(all),conversion_rate&property=event",
                bearer: keys.readKey
            )
            try await call("get", "/v1/stats/realtime/visitors", bearer: keys.readKey)
            try await call("get", "/v1/stats/aggregate", query: "metrics=nope", bearer: keys.readKey)
            try await call("get", "/v1/stats/breakdown", bearer: keys.project.writeKey)

            // The experiments: the stored one, an unknown one, and the errors of each key.
            let variant = "/v1/experiments/{key}/variant"
            let results = "/v1/experiments/{key}/results"
            let write = "writeKey=\(keys.project.writeKey)"
            try await call("get", "/v1/experiments/checkout/variant", documentedAs: variant, query: "userId=u&\(write)")
            try await call("get", "/v1/experiments/nope/variant", documentedAs: variant, query: "userId=u&\(write)")
            try await call("get", "/v1/experiments/checkout/variant", documentedAs: variant, query: write)
            try await call("get", "/v1/experiments/checkout/variant", documentedAs: variant, query: "userId=u")
            try await call("get", "/v1/experiments/checkout/results", documentedAs: results, bearer: keys.readKey)
            try await call("get", "/v1/experiments/nope/results", documentedAs: results, bearer: keys.readKey)
            try await call(
                "get", "/v1/experiments/checkout/results", documentedAs: results, bearer: keys.project.writeKey)
        }
    }
}
