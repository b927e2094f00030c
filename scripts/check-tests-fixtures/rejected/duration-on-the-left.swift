    guard .milliseconds(500) > waited else { return }
