    let took = clock.measure { _ = events.rows(20_000) }
