import Testing

@testable import SluiceEnrichment

struct UserAgentCase: Sendable, CustomTestStringConvertible {
    let label: String
    let userAgent: String
    let expected: UserAgentInfo

    init(_ label: String, _ userAgent: String, _ browser: String?, _ os: String?, _ device: String) {
        self.label = label
        self.userAgent = userAgent
        expected = UserAgentInfo(browser: browser, os: os, deviceType: device, isBot: device == "bot")
    }

    var testDescription: String { label }
}

/// Real user agents of current browsers, as they send them (Chrome's reduced user agent freezes the OS part, e.g.
/// `Android 10; K` and `Mac OS X 10_15_7`).
let browserCases: [UserAgentCase] = [
    UserAgentCase(
        "Chrome on Windows",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36",
        "Chrome", "Windows", "desktop"
    ),
    UserAgentCase(
        "Chrome on macOS",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36",
        "Chrome", "macOS", "desktop"
    ),
    UserAgentCase(
        "Chrome on Linux",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/136.0.0.0 Safari/537.36",
        "Chrome", "Linux", "desktop"
    ),
    UserAgentCase(
        "Chrome on ChromeOS",
        "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36",
        "Chrome", "ChromeOS", "desktop"
    ),
    UserAgentCase(
        "Chrome on an Android phone",
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Mobile Safari/537.36",
        "Chrome", "Android", "mobile"
    ),
    UserAgentCase(
        "Chrome on an Android tablet",
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36",
        "Chrome", "Android", "tablet"
    ),
    UserAgentCase(
        "an Android WebView",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240805.005; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/127.0.6533.103 Mobile Safari/537.36",
        "Chrome", "Android", "mobile"
    ),
    UserAgentCase(
        "Chrome on iPhone",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/137.0.7151.51 Mobile/15E148 Safari/604.1",
        "Chrome", "iOS", "mobile"
    ),
    UserAgentCase(
        "Chrome on iPad",
        "Mozilla/5.0 (iPad; CPU OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/137.0.7151.51 Mobile/15E148 Safari/604.1",
        "Chrome", "iPadOS", "tablet"
    ),
    UserAgentCase(
        "Firefox on Windows",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:139.0) Gecko/20100101 Firefox/139.0",
        "Firefox", "Windows", "desktop"
    ),
    UserAgentCase(
        "Firefox on macOS",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:139.0) Gecko/20100101 Firefox/139.0",
        "Firefox", "macOS", "desktop"
    ),
    UserAgentCase(
        "Firefox on Ubuntu",
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:139.0) Gecko/20100101 Firefox/139.0",
        "Firefox", "Linux", "desktop"
    ),
    UserAgentCase(
        "Firefox on an Android phone",
        "Mozilla/5.0 (Android 15; Mobile; rv:139.0) Gecko/139.0 Firefox/139.0",
        "Firefox", "Android", "mobile"
    ),
    UserAgentCase(
        "Firefox on an Android tablet",
        "Mozilla/5.0 (Android 14; Tablet; rv:139.0) Gecko/139.0 Firefox/139.0",
        "Firefox", "Android", "tablet"
    ),
    UserAgentCase(
        "Firefox on iPhone",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/139.0 Mobile/15E148 Safari/605.1.15",
        "Firefox", "iOS", "mobile"
    ),
    UserAgentCase(
        "Safari on macOS",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Safari/605.1.15",
        "Safari", "macOS", "desktop"
    ),
    UserAgentCase(
        "Safari on iPhone",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1",
        "Safari", "iOS", "mobile"
    ),
    UserAgentCase(
        "Safari on iPad, mobile site requested",
        "Mozilla/5.0 (iPad; CPU OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1",
        "Safari", "iPadOS", "tablet"
    ),
    // iPadOS asks for desktop sites by default and then sends exactly what Safari on a Mac sends (documented limit).
    UserAgentCase(
        "Safari on iPad, desktop site (indistinguishable from a Mac)",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Safari/605.1.15",
        "Safari", "macOS", "desktop"
    ),
    UserAgentCase(
        "Safari on iPod touch",
        "Mozilla/5.0 (iPod touch; CPU iPhone OS 15_8 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.6.6 Mobile/15E148 Safari/604.1",
        "Safari", "iOS", "mobile"
    ),
    UserAgentCase(
        "Edge on Windows",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36 Edg/137.0.0.0",
        "Edge", "Windows", "desktop"
    ),
    UserAgentCase(
        "Edge on macOS",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36 Edg/137.0.0.0",
        "Edge", "macOS", "desktop"
    ),
    UserAgentCase(
        "Edge on Android",
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Mobile Safari/537.36 EdgA/137.0.0.0",
        "Edge", "Android", "mobile"
    ),
    UserAgentCase(
        "Edge on iPhone",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 EdgiOS/137.3296.52 Mobile/15E148 Safari/605.1.15",
        "Edge", "iOS", "mobile"
    ),
    UserAgentCase(
        "Opera on Windows",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36 OPR/119.0.0.0",
        "Opera", "Windows", "desktop"
    ),
    UserAgentCase(
        "Opera on Android",
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/135.0.0.0 Mobile Safari/537.36 OPR/89.1.4719.84291",
        "Opera", "Android", "mobile"
    ),
    UserAgentCase(
        "Opera on iPhone",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1 OPT/5.4.0",
        "Opera", "iOS", "mobile"
    ),
    UserAgentCase(
        "Samsung Internet on a phone",
        "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S928B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/28.0 Chrome/130.0.0.0 Mobile Safari/537.36",
        "Samsung Internet", "Android", "mobile"
    ),
    UserAgentCase(
        "Samsung Internet on a tablet",
        "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/28.0 Chrome/130.0.0.0 Safari/537.36",
        "Samsung Internet", "Android", "tablet"
    ),
    UserAgentCase(
        "Yandex Browser on Windows",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/132.0.0.0 YaBrowser/25.2.0.0 Safari/537.36",
        "Yandex Browser", "Windows", "desktop"
    ),
    UserAgentCase(
        "Vivaldi on Linux",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/136.0.0.0 Safari/537.36 Vivaldi/7.4.3684.38",
        "Vivaldi", "Linux", "desktop"
    ),
    UserAgentCase(
        "the Facebook app's browser on iPhone (no Safari token)",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/512.0.0.37.109;FBBV/730208513;FBDV/iPhone16,2;FBMD/iPhone;FBSN/iOS;FBSV/18.5;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5;FBRV/733042563]",
        nil, "iOS", "mobile"
    ),
    UserAgentCase(
        "Android's old stock browser is not Safari",
        "Mozilla/5.0 (Linux; U; Android 4.0.3; ko-kr; LG-L160L Build/IML74K) AppleWebkit/534.30 (KHTML, like Gecko) Version/4.0 Mobile Safari/534.30",
        nil, "Android", "mobile"
    ),
    UserAgentCase(
        "a CUBOT phone is not a bot",
        "Mozilla/5.0 (Linux; Android 13; CUBOT X70) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Mobile Safari/537.36",
        "Chrome", "Android", "mobile"
    ),
    UserAgentCase("an empty user agent", "", nil, nil, "desktop"),
]

/// Real user agents of common bots, crawlers and HTTP tools.
let botCases: [UserAgentCase] = [
    UserAgentCase(
        "Googlebot",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Googlebot", nil, "bot"
    ),
    UserAgentCase(
        "Googlebot smartphone (a Chrome user agent with a bot token)",
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.7151.68 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Googlebot", nil, "bot"
    ),
    UserAgentCase(
        "Bingbot",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",
        "Bingbot", nil, "bot"
    ),
    UserAgentCase(
        "DuckDuckBot",
        "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
        "DuckDuckBot", nil, "bot"
    ),
    UserAgentCase(
        "YandexBot",
        "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
        "YandexBot", nil, "bot"
    ),
    UserAgentCase(
        "Baiduspider",
        "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
        "Baiduspider", nil, "bot"
    ),
    UserAgentCase(
        "Applebot",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
        "Applebot", nil, "bot"
    ),
    UserAgentCase(
        "AhrefsBot",
        "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
        "AhrefsBot", nil, "bot"
    ),
    UserAgentCase(
        "SemrushBot",
        "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
        "SemrushBot", nil, "bot"
    ),
    UserAgentCase(
        "Facebook link preview",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "facebookexternalhit", nil, "bot"
    ),
    UserAgentCase("Twitterbot", "Twitterbot/1.0", "Twitterbot", nil, "bot"),
    UserAgentCase(
        "Slackbot",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "Slackbot", nil, "bot"
    ),
    UserAgentCase(
        "GPTBot",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; GPTBot/1.2; +https://openai.com/gptbot",
        "GPTBot", nil, "bot"
    ),
    UserAgentCase(
        "ClaudeBot",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)",
        "ClaudeBot", nil, "bot"
    ),
    UserAgentCase("curl", "curl/8.14.1", "curl", nil, "bot"),
    UserAgentCase("Wget", "Wget/1.25.0", "Wget", nil, "bot"),
    UserAgentCase("python-requests", "python-requests/2.32.4", "python-requests", nil, "bot"),
    UserAgentCase("Go's HTTP client", "Go-http-client/2.0", "Go-http-client", nil, "bot"),
    UserAgentCase(
        "HeadlessChrome",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/137.0.0.0 Safari/537.36",
        "HeadlessChrome", nil, "bot"
    ),
    UserAgentCase(
        "PageSpeed Insights (Lighthouse)",
        "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse",
        "Lighthouse", nil, "bot"
    ),
    UserAgentCase(
        "an unnamed crawler by its documentation link",
        "Mozilla/5.0 (compatible; SeznamBot/4.0; +https://o-seznam.cz/napoveda/vyhledavani/en/seznambot-crawler/)",
        nil, nil, "bot"
    ),
    UserAgentCase(
        "an unnamed crawler by its bot token",
        "serpstatbot/2.1 (advanced backlink tracking bot; https://serpstatbot.com/; abuse@serpstatbot.com)",
        nil, nil, "bot"
    ),
    UserAgentCase(
        "an unnamed crawler by its spider token at the end",
        "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/50.0.2661.102 Safari/537.36; 360Spider",
        nil, nil, "bot"
    ),
]

@Suite struct UserAgentParserTests {
    @Test(arguments: browserCases)
    func classifiesRealBrowsers(_ testCase: UserAgentCase) {
        #expect(UserAgentParser.parse(testCase.userAgent) == testCase.expected)
    }

    @Test(arguments: botCases)
    func flagsRealBots(_ testCase: UserAgentCase) {
        #expect(UserAgentParser.parse(testCase.userAgent) == testCase.expected)
    }

    @Test func tablesCoverEnoughAgents() {
        #expect(browserCases.count >= 30)
        #expect(botCases.count >= 10)
        // Every browser the documentation names appears in the table.
        let named = Set(browserCases.compactMap(\.expected.browser))
        #expect(
            named.isSuperset(of: [
                "Chrome", "Firefox", "Safari", "Edge", "Opera", "Samsung Internet", "Yandex Browser", "Vivaldi",
            ])
        )
        let systems = Set(browserCases.compactMap(\.expected.os))
        #expect(systems == ["Windows", "macOS", "Linux", "ChromeOS", "Android", "iOS", "iPadOS"])
    }

    @Test func botTokensMatchIgnoringCase() {
        #expect(UserAgentParser.parse("Mozilla/5.0 (compatible; GOOGLEBOT/2.1)").browser == "Googlebot")
        #expect(UserAgentParser.parse("CURL/7.0").isBot)
        #expect(UserAgentParser.parse("somecrawler/1.0").isBot)
    }

    @Test func botWordsInsideOtherWordsAreNotBots() {
        // `robots` and `Cubot X30` hold `bot` followed by a letter or a space; a browser stays a browser.
        let robots = UserAgentParser.parse(
            "Mozilla/5.0 (Linux; Android 12; Cubot Note 30) Chrome/120.0.0.0 Mobile robots")
        #expect(!robots.isBot)
        #expect(robots.browser == "Chrome")
    }

    @Test func onlyTheScannedPrefixCounts() {
        let filler = String(repeating: "a", count: UserAgentParser.scannedPrefixLength)
        #expect(!UserAgentParser.parse(filler + "Googlebot/2.1").isBot)
        #expect(UserAgentParser.parse("Googlebot/2.1 " + filler).isBot)
    }
}
