    let elapsed = ContinuousClock().measure { work() }
