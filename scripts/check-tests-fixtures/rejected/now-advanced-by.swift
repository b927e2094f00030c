    let deadline = ContinuousClock.now.advanced(by: .seconds(30))
