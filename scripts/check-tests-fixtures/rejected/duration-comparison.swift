    #expect(took < .seconds(2))
