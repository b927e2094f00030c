    #require(Timestamp.now().unixMicroseconds - sent.unixMicroseconds < 2_000_000)
