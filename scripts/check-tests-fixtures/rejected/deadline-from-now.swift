    let guardEnd = ContinuousClock.now + .seconds(120)
    while refused == nil, ContinuousClock.now < guardEnd {
        refused = try await attempt()
    }
