    #expect(loader.waitUntilLoaded(end, timeout: .seconds(20)))
