// Browser, operating system and device type from a `User-Agent` header, and the bot flag that keeps crawlers out of
// visitor counts.

/// Classifies `User-Agent` strings by the tokens browsers and bots put in them.
///
/// **Browsers** (``UserAgentInfo/browser``), named for the product whatever the platform: `Edge`, `Opera`,
/// `Samsung Internet`, `Yandex Browser`, `Vivaldi`, `UC Browser`, `Firefox`, `Chrome`, `Safari`.
/// - Chrome on iOS (`CriOS/`) is `Chrome`, Firefox on iOS (`FxiOS/`) is `Firefox`, Edge on iOS and Android
///   (`EdgiOS/`, `EdgA/`) is `Edge`. There is no separate "Mobile Safari": Safari on an iPhone is `Safari` with
///   os `iOS` and device `mobile`.
/// - Precedence matters: Edge (`Edg/`), Opera (`OPR/`, `OPT/` on iOS), Samsung Internet, Yandex and Vivaldi also
///   send `Chrome/` and `Safari/`, and Chrome sends `Safari/`, so a user agent with several browser tokens is the
///   most specific one, in the order of the list above.
/// - Brave and Arc send Chrome's user agent unchanged and count as `Chrome`; so do Android WebViews (`; wv`).
/// - `Safari` is reported only on Apple systems: Android's old stock browser also sends `Version/… Safari/`.
///   In-app browsers on iOS (Facebook, Instagram) send no `Safari/` token and get no browser.
///
/// **Operating systems** (``UserAgentInfo/os``): `iPadOS` (an `iPad` token), `iOS`, `ChromeOS`, `Android`,
/// `Windows`, `macOS`, `Linux`; iPhone and iPad are looked for before macOS (they say `like Mac OS X`), ChromeOS
/// and Android before Linux (they say `Linux` too).
///
/// **Device type** (``UserAgentInfo/deviceType``): `tablet` for iPads and for Android without `Mobile` (Google's
/// convention: Chrome on an Android tablet leaves it out) or with `Tablet` (Firefox); `mobile` for iPhones, iPods
/// and `Mobi…` tokens; otherwise `desktop`.
///
/// **Bots** (``UserAgentInfo/isBot``, device `bot`, no OS): known crawlers, link previewers, AI crawlers, headless
/// browsers and HTTP libraries by name (the browser column then holds the bot's name, e.g. `Googlebot`); unnamed
/// ones by a `+http…` documentation link in the comment, or by a word ending in `bot`, `crawler` or `spider`
/// followed by punctuation or the end of the string (`serpstatbot/`, `…; 360Spider`). Bot checks run first, since
/// crawlers often copy a browser's user agent and append their own token (Googlebot smartphone, Bingbot).
///
/// **Limits**:
/// - iPadOS Safari asks for desktop sites by default and then sends exactly the user agent of Safari on a Mac;
///   no token tells them apart (only scripts can, by touch support), so such iPads count as `macOS` `desktop`.
/// - Only the first ``scannedPrefixLength`` bytes are read, which bounds the cost of hostile input.
/// - An empty string gives no browser or OS and `desktop`; callers skip parsing when an event carries no user
///   agent (server-side SDK calls), as ``Enricher`` does.
///
/// Pure: two passes over the UTF-8 bytes in place (one for bot tokens ignoring case, one for browser and platform
/// tokens; see ``TokenSet``), no allocation (every name returned is a literal); safe from any thread; never traps,
/// whatever the bytes.
package enum UserAgentParser {
    /// How many leading bytes of a user agent are examined. Real ones are 100–500 bytes.
    package static let scannedPrefixLength = 2_048

    /// Parses one user agent.
    package static func parse(_ userAgent: String) -> UserAgentInfo {
        var text = userAgent
        return text.withUTF8 { bytes in
            parse(UnsafeBufferPointer(rebasing: bytes.prefix(scannedPrefixLength)))
        }
    }

    static func parse(_ text: UnsafeBufferPointer<UInt8>) -> UserAgentInfo {
        if let bot = botName(text) {
            return UserAgentInfo(browser: bot.isEmpty ? nil : bot, os: nil, deviceType: "bot", isBot: true)
        }
        let found = ClientTokens(mask: clientTokens.occurrences(in: text))
        let os = found.operatingSystem
        return UserAgentInfo(browser: found.browser(os: os), os: os, deviceType: found.deviceType, isBot: false)
    }

    // MARK: Bots

    /// Known bots by a token of their user agent (lower case, matched ignoring case), and what to call them.
    private static let knownBots: [(token: StaticString, name: String)] = [
        ("googlebot", "Googlebot"),
        ("google-inspectiontool", "Google-InspectionTool"),
        ("mediapartners-google", "Mediapartners-Google"),
        ("bingbot", "Bingbot"),
        ("duckduckbot", "DuckDuckBot"),
        ("yandexbot", "YandexBot"),
        ("baiduspider", "Baiduspider"),
        ("applebot", "Applebot"),
        ("petalbot", "PetalBot"),
        ("bytespider", "Bytespider"),
        ("ahrefsbot", "AhrefsBot"),
        ("semrushbot", "SemrushBot"),
        ("mj12bot", "MJ12bot"),
        ("dotbot", "DotBot"),
        ("facebookexternalhit", "facebookexternalhit"),
        ("meta-externalagent", "meta-externalagent"),
        ("twitterbot", "Twitterbot"),
        ("linkedinbot", "LinkedInBot"),
        ("slackbot", "Slackbot"),
        ("discordbot", "Discordbot"),
        ("telegrambot", "TelegramBot"),
        ("gptbot", "GPTBot"),
        ("chatgpt-user", "ChatGPT-User"),
        ("oai-searchbot", "OAI-SearchBot"),
        ("claudebot", "ClaudeBot"),
        ("perplexitybot", "PerplexityBot"),
        ("amazonbot", "Amazonbot"),
        ("headlesschrome", "HeadlessChrome"),
        ("chrome-lighthouse", "Lighthouse"),
        ("phantomjs", "PhantomJS"),
        ("curl/", "curl"),
        ("wget/", "Wget"),
        ("python-requests", "python-requests"),
        ("python-urllib", "python-urllib"),
        ("go-http-client", "Go-http-client"),
        ("libwww-perl", "libwww-perl"),
        ("scrapy", "Scrapy"),
        ("apache-httpclient", "Apache-HttpClient"),
    ]

    /// Tokens of unnamed bots. A word ending in `bot`, `crawler` or `spider` counts only when punctuation or the end
    /// follows (`PetalBot;`, `Bytespider;`, `SomeCrawler/1.0`), so device names such as `CUBOT X30` and words such as
    /// `robots` do not; a `+http` documentation link counts wherever it is.
    private static let genericBotWords: [StaticString] = ["bot", "crawler", "spider"]
    private static let documentationLink: StaticString = "+http"

    /// The known bots' tokens, then the generic words, then the documentation link.
    private static let botTokens = TokenSet(
        knownBots.map(\.token) + genericBotWords + [documentationLink],
        ignoringCase: true
    )

    /// The name of the first known bot token in `text`; else `""` when a generic bot token occurs; else `nil`.
    private static func botName(_ text: UnsafeBufferPointer<UInt8>) -> String? {
        var named: String?
        var unnamed = false
        botTokens.forEachMatch(in: text) { token, offset in
            if token < knownBots.count {
                named = knownBots[token].name
                return false
            }
            let generic = token - knownBots.count
            if generic == genericBotWords.count {
                unnamed = true
            } else if !unnamed {
                let end = offset + genericBotWords[generic].utf8CodeUnitCount
                unnamed = end == text.count || endsBotWord(text[end])
            }
            return true
        }
        return named ?? (unnamed ? "" : nil)
    }

    /// Whether `byte`, following `bot`, `crawler` or `spider`, ends a bot's name.
    private static func endsBotWord(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "/"), UInt8(ascii: ";"), UInt8(ascii: ")"), UInt8(ascii: "-"), UInt8(ascii: "_"),
            UInt8(ascii: "+"), UInt8(ascii: ":"), UInt8(ascii: "@"), UInt8(ascii: ","):
            return true
        default:
            return false
        }
    }

    // MARK: Browsers and platforms

    /// Browser names, most specific first: a user agent with tokens of several takes the first.
    private static let browserNames = [
        "Edge", "Opera", "Samsung Internet", "Yandex Browser", "Vivaldi", "UC Browser", "Firefox", "Chrome", "Safari",
    ]

    /// Each browser token and its index in ``browserNames``.
    private static let browserTokens: [(token: StaticString, browser: Int)] = [
        ("Edg/", 0), ("EdgA/", 0), ("EdgiOS/", 0), ("Edge/", 0),
        ("OPR/", 1), ("OPiOS/", 1), ("OPT/", 1), ("Opera", 1),
        ("SamsungBrowser/", 2),
        ("YaBrowser/", 3),
        ("Vivaldi/", 4),
        ("UCBrowser/", 5),
        ("FxiOS/", 6), ("Firefox/", 6),
        ("CriOS/", 7), ("Chrome/", 7),
        ("Safari/", 8),
    ]

    /// Platform tokens, in the order of ``ClientTokens/Platform``.
    private static let platformTokens: [StaticString] = [
        "iPad", "iPhone", "iPod", "CrOS", "Android", "Windows", "Macintosh", "Mac OS X", "Linux", "Tablet", "Mobi",
    ]

    /// The browser tokens, then the platform tokens; matched case-sensitively, as browsers spell them.
    private static let clientTokens = TokenSet(browserTokens.map(\.token) + platformTokens, ignoringCase: false)

    /// Which browser and platform tokens a user agent holds, and what follows from them.
    private struct ClientTokens {
        enum Platform: Int {
            case iPad, iPhone, iPod, chromeOS, android, windows, macintosh, macOSX, linux, tablet, mobile
        }

        /// Bit `i` for token `i` of ``clientTokens``.
        let mask: UInt64

        func has(_ platform: Platform) -> Bool {
            mask & (1 << UInt64(browserTokens.count + platform.rawValue)) != 0
        }

        /// The most specific browser found; `Safari` only on Apple systems.
        func browser(os: String?) -> String? {
            var best = browserNames.count
            for (index, token) in browserTokens.enumerated() where mask & (1 << UInt64(index)) != 0 {
                best = min(best, token.browser)
            }
            guard best < browserNames.count else { return nil }
            let name = browserNames[best]
            if name == "Safari", os != "iOS", os != "iPadOS", os != "macOS" { return nil }
            return name
        }

        /// iPad and iPhone before macOS (they say `like Mac OS X`), ChromeOS and Android before Linux.
        var operatingSystem: String? {
            if has(.iPad) { return "iPadOS" }
            if has(.iPhone) || has(.iPod) { return "iOS" }
            if has(.chromeOS) { return "ChromeOS" }
            if has(.android) { return "Android" }
            if has(.windows) { return "Windows" }
            if has(.macintosh) || has(.macOSX) { return "macOS" }
            if has(.linux) { return "Linux" }
            return nil
        }

        var deviceType: String {
            if has(.iPad) { return "tablet" }
            if has(.iPhone) || has(.iPod) { return "mobile" }
            if has(.android) {
                if has(.tablet) { return "tablet" }
                return has(.mobile) ? "mobile" : "tablet"
            }
            return has(.mobile) ? "mobile" : "desktop"
        }
    }
}
