    usleep(100_000)
