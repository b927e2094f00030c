    let value = try connection.withReconnect(retry: RetryPolicy(initialDelay: 0.05, deadline: 10)) { try $0.query("SELECT 1") }
