// swift-tools-version:6.1
import PackageDescription

let strictSwift: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "sluice",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sluice", targets: ["sluice"]),
        // For the nested benchmark package in Benchmarks/.
        .library(name: "SluiceCore", targets: ["SluiceCore"]),
        .library(name: "SluiceWorkload", targets: ["SluiceWorkload"]),
        .library(name: "SluiceRing", targets: ["SluiceRing"]),
        .library(name: "SluiceSegment", targets: ["SluiceSegment"]),
        .library(name: "SluiceEnrichment", targets: ["SluiceEnrichment"]),
        .library(name: "SluiceSpool", targets: ["SluiceSpool"]),
        .library(name: "SluiceIngest", targets: ["SluiceIngest"]),
        .library(name: "SluiceExperiments", targets: ["SluiceExperiments"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.1.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.20.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.20.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.0"),
        // Tests only: reads docs/openapi.yaml.
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
    ],
    targets: [
        // C libraries, each behind one thin system-library target.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .systemLibrary(
            name: "CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]
        ),

        // Pure logic: no I/O, unit-tested without a server.
        .target(
            name: "SluiceCore",
            swiftSettings: strictSwift
        ),

        // Realistic synthetic events for benchmarks and load tests.
        .target(
            name: "SluiceWorkload",
            dependencies: ["SluiceCore"],
            swiftSettings: strictSwift
        ),

        // The traffic `sluice demo` sends: two demo sites' visits and events, and the experiment's winner.
        .target(
            name: "SluiceDemo",
            dependencies: ["SluiceCore", "SluiceWorkload", "SluiceExperiments"],
            swiftSettings: strictSwift
        ),

        // Lock-free bounded queues between the HTTP event loops and the spool writer.
        .target(
            name: "SluiceRing",
            swiftSettings: strictSwift
        ),

        // The durable spool: zstd frames appended to segment files, fsync'd before an ack.
        .target(
            name: "SluiceSpool",
            dependencies: ["SluiceZstd", "SluiceCore"],
            swiftSettings: strictSwift
        ),

        // For tests: a spool storage that loses unsynced data at a simulated crash and injects disk faults.
        .target(
            name: "SluiceSpoolTesting",
            dependencies: ["SluiceSpool", "SluiceTestSupport"],
            swiftSettings: strictSwift
        ),

        // Segment's Tracking API: decoding request bytes into events, validation, clock skew.
        .target(
            name: "SluiceSegment",
            dependencies: ["SluiceCore"],
            swiftSettings: strictSwift
        ),

        // Enrichment at ingest: user agents, URLs and UTM parameters, referrers, IP address privacy.
        .target(
            name: "SluiceEnrichment",
            dependencies: ["SluiceCore"],
            swiftSettings: strictSwift
        ),

        // A/B experiments without I/O: definitions, GrowthBook-identical bucketing, gbstats-equal results statistics.
        .target(
            name: "SluiceExperiments",
            dependencies: ["SluiceCore"],
            swiftSettings: strictSwift
        ),

        // The browser side of ingest: the tracker script served at /sluice.js, and CORS on the Segment endpoints.
        .target(
            name: "SluiceTracker",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: strictSwift
        ),

        // The dashboard page at `/`: readable HTML, CSS and JavaScript assembled into one document, over the
        // Stats and experiments APIs.
        .target(
            name: "SluiceDashboard",
            dependencies: [
                "SluiceTracker",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: strictSwift
        ),

        // A/B experiments in PostgreSQL: definitions (create, update, stop), the assignments job, result counts.
        .target(
            name: "SluiceExperimentsStore",
            dependencies: [
                "SluiceExperiments", "SluiceCore", "SluicePostgres", "SluiceScheduler", "SluiceSchedulerCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSwift
        ),

        // The experiments' HTTP routes: the variant endpoint from a cache of definitions, the results endpoint.
        .target(
            name: "SluiceExperimentsAPI",
            dependencies: [
                "SluiceExperiments", "SluiceExperimentsStore", "SluiceIngest", "SluiceEnrichment", "SluicePostgres",
                "SluiceStore", "SluiceCore", "SluiceStatsAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),

        // The loader: spool frames to binary COPY, exactly once, with the spool position committed with the rows.
        .target(
            name: "SluiceLoader",
            dependencies: [
                "SluiceCore", "SluiceSpool", "SluicePostgres", "SluiceStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSwift
        ),

        // `sluice serve`: the HTTP API, the ring buffers, the spool writer with group commit, dedupe, shutdown.
        .target(
            name: "SluiceIngest",
            dependencies: [
                "SluiceCore", "SluiceRing", "SluiceSpool", "SluiceSegment", "SluiceEnrichment", "SluiceLoader",
                "SluicePostgres", "SluiceStore", "SluiceZstd", "SluiceTracker",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: strictSwift
        ),

        // The Stats API without I/O: parameters, filters, the choice of plan, SQL text, JSON answers.
        .target(
            name: "SluiceStats",
            dependencies: ["SluiceCore", "SluiceRollups"],
            swiftSettings: strictSwift
        ),

        // The Stats API over HTTP: read keys, the query pool on threads of its own, the routes.
        .target(
            name: "SluiceStatsAPI",
            dependencies: [
                "SluiceStats", "SluiceCore", "SluicePostgres", "SluiceStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: strictSwift
        ),

        // `POST /v1/privacy/forget`: `sluice forget` over HTTP with the read key, on the Stats API's query pool.
        .target(
            name: "SluicePrivacyAPI",
            dependencies: [
                "SluiceRetention", "SluiceRetentionJob", "SluiceStatsAPI", "SluicePostgres",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),

        // The one HTTP application of `sluice serve`: every capability's route collection and service, composed.
        .target(
            name: "SluiceServer",
            dependencies: [
                "SluiceIngest", "SluiceStatsAPI", "SluiceExperimentsAPI", "SluiceTracker", "SluicePrivacyAPI",
                "SluiceDashboard",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift
        ),

        // Safe Swift wrappers over the C libraries.
        .target(
            name: "SluiceZstd",
            dependencies: ["CZstd"],
            swiftSettings: strictSwift
        ),
        .target(
            name: "SluicePostgres",
            dependencies: ["CLibPQ", "SluiceCore"],
            swiftSettings: strictSwift
        ),

        // The schema migrations, shipped with the binary as resources.
        .target(
            name: "SluiceSQL",
            path: "sql",
            exclude: ["README.md"],
            resources: [.copy("migrations")],
            swiftSettings: strictSwift
        ),

        // Database-facing operations: migrate, partitions, projects.
        .target(
            name: "SluiceStore",
            dependencies: ["SluicePostgres", "SluiceCore", "SluiceSQL", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSwift
        ),

        // The scheduler's rules without I/O: durations, when a job is due, lease timing, run records.
        .target(
            name: "SluiceSchedulerCore",
            dependencies: ["SluiceCore"],
            swiftSettings: strictSwift
        ),

        // The scheduler: jobs under leases in PostgreSQL (fenced, renewed, recorded), on threads of their own.
        .target(
            name: "SluiceScheduler",
            dependencies: [
                "SluiceSchedulerCore", "SluiceCore", "SluicePostgres", "SluiceStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift
        ),

        // Retention rules without I/O: due days, archive names, manifest lines, the binary COPY stream check.
        .target(
            name: "SluiceRetention",
            dependencies: ["SluiceCore"],
            swiftSettings: strictSwift
        ),

        // Visits without I/O: when an event continues a visit, hour ranges, the steps that answer event marks.
        .target(
            name: "SluiceSessions",
            dependencies: ["SluiceCore"],
            swiftSettings: strictSwift
        ),

        // The retention job, `sluice archive list|restore`, `sluice forget`: partitions to verified zstd
        // archives and back, erasures.
        .target(
            name: "SluiceRetentionJob",
            dependencies: [
                "SluiceRetention", "SluiceCore", "SluicePostgres", "SluiceZstd", "SluiceScheduler",
                "SluiceSessionsJob", "SluiceRollupsJob", "SluiceStore",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSwift
        ),

        // The `sessions` job: visits derived again around the marked hours, one fenced transaction a step.
        .target(
            name: "SluiceSessionsJob",
            dependencies: [
                "SluiceSessions", "SluiceRollups", "SluiceScheduler", "SluiceStore", "SluicePostgres", "SluiceCore",
            ],
            swiftSettings: strictSwift
        ),

        // Rollups without I/O: dimensions, sketch parameters, the units that answer rollup marks.
        .target(
            name: "SluiceRollups",
            dependencies: ["SluiceCore"],
            swiftSettings: strictSwift
        ),

        // The `rollups` job: hourly and daily rollups recomputed for the marked hours, a project's day a transaction.
        .target(
            name: "SluiceRollupsJob",
            dependencies: ["SluiceRollups", "SluiceScheduler", "SluiceStore", "SluicePostgres", "SluiceCore"],
            swiftSettings: strictSwift
        ),

        // A private PostgreSQL cluster (initdb, start, stop) for the embedded default and for tests.
        .target(
            name: "EmbeddedPostgres",
            swiftSettings: strictSwift
        ),

        // The `sluice` command.
        .executableTarget(
            name: "sluice",
            dependencies: [
                "SluiceCore", "SluicePostgres", "SluiceStore", "SluiceZstd", "SluiceWorkload", "EmbeddedPostgres",
                "SluiceIngest", "SluiceServer", "SluiceStatsAPI", "SluiceEnrichment", "SluiceScheduler",
                "SluiceSchedulerCore", "SluiceSessionsJob", "SluiceRollupsJob", "SluiceLoader", "SluiceSpool",
                "SluiceExperiments", "SluiceExperimentsStore", "SluiceExperimentsAPI", "SluiceRetention",
                "SluiceRetentionJob", "SluiceDemo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift
        ),

        // Fuzzing: the invariants of the request path and the spool reader, and one libFuzzer target for each
        // (scripts/fuzz.sh builds them with -sanitize=fuzzer; a normal build makes them replay files).
        .target(
            name: "SluiceFuzzing",
            dependencies: [
                "SluiceIngest", "SluiceSpool", "SluiceSegment", "SluiceEnrichment", "SluiceCore",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSwift + [.enableExperimentalFeature("Extern")]
        ),
        .executableTarget(
            name: "sluice-fuzz-request", dependencies: ["SluiceFuzzing"], path: "Fuzz/Request", swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "sluice-fuzz-spool", dependencies: ["SluiceFuzzing"], path: "Fuzz/Spool", swiftSettings: strictSwift
        ),

        // How tests wait for an event: a generous hang guard instead of time limits (scripts/check-tests.sh).
        .target(
            name: "SluiceHangGuard",
            path: "Tests/SluiceHangGuard",
            swiftSettings: strictSwift
        ),

        // Tests in a real browser: headless Chromium loads pages, dumps their DOM, takes screenshots.
        .target(
            name: "SluiceBrowserTesting",
            dependencies: ["SluiceHangGuard"],
            path: "Tests/SluiceBrowserTesting",
            swiftSettings: strictSwift
        ),

        // Shared helpers for tests: a real, throwaway PostgreSQL; a seeded random generator.
        .target(
            name: "SluiceTestSupport",
            dependencies: [
                "EmbeddedPostgres", "SluicePostgres", "SluiceStore", "SluiceCore", "SluiceExperiments", "SluiceHangGuard",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/SluiceTestSupport",
            swiftSettings: strictSwift
        ),

        .testTarget(name: "SluiceCoreTests", dependencies: ["SluiceCore"], swiftSettings: strictSwift),
        .testTarget(
            name: "SluiceRetentionTests", dependencies: ["SluiceRetention", "SluiceCore"], swiftSettings: strictSwift
        ),
        .testTarget(
            name: "SluiceRetentionJobTests",
            dependencies: [
                "SluiceRetentionJob", "SluiceRetention", "SluiceRollupsJob", "SluiceCore", "SluicePostgres",
                "SluiceStore", "SluiceZstd", "SluiceTestSupport", "EmbeddedPostgres", "SluiceWorkload", "SluiceHangGuard",
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "SluiceDemoTests",
            dependencies: ["SluiceDemo", "SluiceCore", "SluiceSegment", "SluiceExperiments"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "SluiceWorkloadTests",
            dependencies: ["SluiceWorkload", "SluiceEnrichment", "SluiceSegment"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "SluiceRingTests", dependencies: ["SluiceRing", "SluiceHangGuard"], swiftSettings: strictSwift
        ),
        .testTarget(
            name: "SluiceSpoolTests",
            dependencies: ["SluiceSpool", "SluiceSpoolTesting", "SluiceZstd", "SluiceHangGuard", "SluiceCore"],
            swiftSettings: strictSwift
        ),
        .testTarget(name: "SluiceSegmentTests", dependencies: ["SluiceSegment"], swiftSettings: strictSwift),
        .testTarget(
            name: "SluiceEnrichmentTests", dependencies: ["SluiceEnrichment", "SluiceTestSupport"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "SluiceLoaderTests",
            dependencies: [
                "SluiceLoader", "SluiceSpool", "SluiceSpoolTesting", "SluiceCore", "SluicePostgres", "SluiceStore",
                "SluiceTestSupport", "SluiceHangGuard", "EmbeddedPostgres",
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "SluiceIngestTests",
            dependencies: [
                "SluiceIngest", "SluiceServer", "SluiceCore", "SluicePostgres", "SluiceStore", "SluiceZstd",
                "SluiceTestSupport", "EmbeddedPostgres", "SluiceRing", "SluiceSpool", "SluiceSpoolTesting",
                "SluiceEnrichment",
                "SluiceHangGuard", "SluiceTracker", "SluiceBrowserTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
        // Runs GrowthBook's gbstats (Python, scripts/gbstats-results.py) to check the results statistics against it.
        .testTarget(
            name: "SluiceExperimentsTests",
            dependencies: ["SluiceExperiments", "EmbeddedPostgres", "SluiceTestSupport"],
            exclude: ["Fixtures"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "SluiceDashboardTests",
            dependencies: [
                "SluiceDashboard", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "SluiceTrackerTests",
            dependencies: ["SluiceTracker", .product(name: "CompressNIO", package: "compress-nio")],
            swiftSettings: strictSwift
        ),

        // Real PostgreSQL: experiment definitions, the assignments job, the result counts.
        .testTarget(
            name: "SluiceExperimentsStoreTests",
            dependencies: [
                "SluiceExperimentsStore", "SluiceExperiments", "SluiceScheduler", "SluiceSchedulerCore", "SluiceCore",
                "SluicePostgres", "SluiceStore", "SluiceTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        // Real HTTP and PostgreSQL: the variant and results endpoints, the definition cache through an outage.
        .testTarget(
            name: "SluiceExperimentsAPITests",
            dependencies: [
                "SluiceExperimentsAPI", "SluiceExperimentsStore", "SluiceExperiments", "SluiceIngest", "SluiceCore",
                "SluicePostgres", "SluiceStore", "SluiceTestSupport", "EmbeddedPostgres", "SluiceScheduler",
                "SluiceSchedulerCore", "SluiceHangGuard", "SluiceStatsAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(name: "SluiceFuzzingTests", dependencies: ["SluiceFuzzing"], swiftSettings: strictSwift),
        .testTarget(
            name: "SluiceZstdTests", dependencies: ["SluiceZstd", "SluiceTestSupport"], swiftSettings: strictSwift
        ),
        .testTarget(
            name: "SluicePostgresTests",
            dependencies: ["SluicePostgres", "SluiceCore", "SluiceTestSupport", "SluiceHangGuard"],
            swiftSettings: strictSwift
        ),
        // Runs the built `sluice` binary (`swift build --build-tests` builds it) against a real PostgreSQL.
        .testTarget(
            name: "SluiceCommandTests",
            dependencies: [
                "SluiceTestSupport", "EmbeddedPostgres", "SluicePostgres", "SluiceStore", "SluiceHangGuard",
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "SluiceSchedulerCoreTests", dependencies: ["SluiceSchedulerCore", "SluiceCore"],
            swiftSettings: strictSwift
        ),
        // Real PostgreSQL: leases, fencing, schedulers racing each other and the built `sluice` binary.
        .testTarget(
            name: "SluiceSchedulerTests",
            dependencies: [
                "SluiceScheduler", "SluiceSchedulerCore", "SluiceCore", "SluicePostgres", "SluiceStore",
                "SluiceTestSupport", "EmbeddedPostgres", "SluiceHangGuard",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(name: "SluiceStatsTests", dependencies: ["SluiceStats", "SluiceCore"], swiftSettings: strictSwift),
        // Real PostgreSQL, real server, real HTTP: the Stats API against answers computed from the events sent, and
        // the dashboard page in headless Chromium against the Stats API's answers.
        .testTarget(
            name: "SluiceStatsAPITests",
            dependencies: [
                "SluiceStatsAPI", "SluiceStats", "SluiceServer", "SluiceIngest", "SluiceCore", "SluicePostgres",
                "SluiceStore", "SluiceRollupsJob", "SluiceTestSupport", "SluiceHangGuard", "EmbeddedPostgres",
                "SluiceBrowserTesting", "SluiceDashboard", "SluiceExperiments", "SluiceExperimentsStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
        // docs/openapi.yaml against the server's routes, the Stats API's parser and real answers.
        .testTarget(
            name: "SluiceOpenAPITests",
            dependencies: [
                "SluiceServer", "SluiceIngest", "SluiceStatsAPI", "SluiceStats", "SluiceCore", "SluicePostgres",
                "SluiceStore", "SluiceTestSupport", "SluiceExperiments", "SluiceExperimentsStore",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "SluiceSessionsTests", dependencies: ["SluiceSessions", "SluiceCore"], swiftSettings: strictSwift
        ),
        .testTarget(
            name: "SluiceRollupsTests", dependencies: ["SluiceRollups", "SluiceCore"], swiftSettings: strictSwift
        ),
        // Real PostgreSQL: events loaded through the loader from a real spool, the sessions and rollups jobs run
        // under the scheduler's leases, every figure compared with one computed from the generated events.
        .testTarget(
            name: "SluiceAggregationTests",
            dependencies: [
                "SluiceSessionsJob", "SluiceRollupsJob", "SluiceSessions", "SluiceRollups", "SluiceScheduler",
                "SluiceSchedulerCore", "SluiceLoader", "SluiceSpool", "SluiceStore", "SluicePostgres", "SluiceCore",
                "SluiceWorkload", "SluiceTestSupport", "SluiceHangGuard", "EmbeddedPostgres", "SluiceRetention",
                "SluiceRetentionJob", "SluiceExperiments", "SluiceExperimentsStore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "SluiceStoreTests",
            dependencies: ["SluiceStore", "SluicePostgres", "SluiceCore", "SluiceTestSupport", "SluiceHangGuard"],
            swiftSettings: strictSwift
        ),
    ]
)
