    for _ in 0..<100 where ready.status != 200 {
        try await Task.sleep(for: .milliseconds(50))
    }
