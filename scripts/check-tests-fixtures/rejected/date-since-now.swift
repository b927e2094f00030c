    let woken = condition.wait(until: Date(timeIntervalSinceNow: 10))
