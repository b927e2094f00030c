    let answered = done.wait(timeout: .now() + 60)
