/// What a `User-Agent` string says about the client, for the `browser`, `os`, `device_type` and `is_bot` columns.
package struct UserAgentInfo: Sendable, Equatable {
    /// The browser product (see ``UserAgentParser`` for the names); for a known bot, the bot's name (`Googlebot`,
    /// `curl`, …); `nil` when not recognised or for an unnamed bot.
    package var browser: String?
    /// `Windows`, `macOS`, `iOS`, `iPadOS`, `Android`, `Linux` or `ChromeOS`; `nil` for bots and other systems.
    package var os: String?
    /// `desktop`, `mobile`, `tablet` or `bot`.
    package var deviceType: String
    /// Whether the client is a crawler, a link previewer, a command-line or scripting HTTP client, or a headless
    /// browser; then ``deviceType`` is `bot`.
    package var isBot: Bool

    package init(browser: String?, os: String?, deviceType: String, isBot: Bool) {
        self.browser = browser
        self.os = os
        self.deviceType = deviceType
        self.isBot = isBot
    }
}
