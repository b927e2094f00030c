    _ = RunLoop.current.run(mode: .default, before: Date().addingTimeInterval(5))
