    #expect(ContinuousClock.now >= started)
