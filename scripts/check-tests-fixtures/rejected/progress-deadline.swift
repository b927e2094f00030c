    while count < total, ContinuousClock.now - lastProgress < .seconds(30) {
