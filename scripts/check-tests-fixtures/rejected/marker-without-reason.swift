    try await Task.sleep(for: .milliseconds(20))  // allow-timing:
