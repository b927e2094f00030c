    #expect(await IngestPipeline.wait(for: signalled, until: .now + .seconds(60)))
