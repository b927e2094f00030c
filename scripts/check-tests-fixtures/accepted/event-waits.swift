import SluiceHangGuard

// A comment may say elapsed, .seconds(2) < x, or sleep(1): comments are not checked.
/// So may a doc comment: `#expect(elapsed < .seconds(10))`.
func waits(loader: Loader, end: Position, committer: Committer) async throws {
    try HangGuard.bounded("the loader to reach \(end)") { loader.waitUntilLoaded(end, timeout: $0) }
    try HangGuard.wait(for: "the spool size to show the record") { committer.spoolBytes >= 1 }
    try await HangGuard.wait(for: "/readyz to answer 200") { try await ready() }
    #expect(!loader.waitUntilLoaded(end, timeout: .zero))
    #expect(await IngestPipeline.wait(for: signalled, until: .now + HangGuard.limit))
    _ = finished.wait(timeout: .now() + HangGuard.limitInSeconds)
    let deadline = ContinuousClock.now + .milliseconds(200)  // allow-timing: the deadline under test
    plan.wait(1, until: start + .seconds(10))
    let yesterday = Date().addingTimeInterval(-2 * 86_400)
    configuration.shutdownDeadline = HangGuard.limit
    let window = DedupeWindow(window: .seconds(60), capacity: 100)
    _ = window.insert(key, now: start + .seconds(9))
    let loader = fixture.loader(retryDelays: .seconds(3600) ... .seconds(3600))
    // Data, not time: a generated row is received within 10 s of its event time.
    #expect(rows.allSatisfy { $0.receivedAt.unixMicroseconds - $0.timestamp.unixMicroseconds < 10_000_000 })
    #expect(rows.allSatisfy { (earliest...now.unixMicroseconds).contains($0.timestamp.unixMicroseconds) })
    let url = "http://127.0.0.1:\(port)/v1/batch"
    try? await Task.sleep(for: .milliseconds(20))  // allow-timing: paces a client after a refusal
}
