import Testing

@testable import SluiceEnrichment

@Suite struct PageURLTests {
    @Test func splitsAnAbsoluteURL() throws {
        let url = try #require(PageURL("https://user:pw@WWW.Example.COM.:8443/docs/a%20b/?utm_source=x&q=1#top"))
        #expect(url.host == "example.com")
        #expect(url.path == "/docs/a%20b/")
        #expect(url.query == "utm_source=x&q=1")
    }

    @Test func pathIsSlashWhenEmpty() throws {
        #expect(try #require(PageURL("https://example.com")).path == "/")
        #expect(try #require(PageURL("https://example.com?x=1")).path == "/")
        #expect(try #require(PageURL("https://example.com#frag")).path == "/")
    }

    @Test func relativeAndSchemeRelativeURLs() throws {
        let relative = try #require(PageURL("/pricing?plan=pro"))
        #expect(relative.host == nil)
        #expect(relative.path == "/pricing")
        #expect(relative.query == "plan=pro")
        #expect(try #require(PageURL("//cdn.example.net/x")).host == "cdn.example.net")
    }

    @Test func ipv6LiteralHostsKeepTheirBrackets() throws {
        #expect(try #require(PageURL("http://[2001:DB8::1]:8080/")).host == "[2001:db8::1]")
    }

    @Test func rejectsWhatHasNoUsableHost() {
        #expect(PageURL("") == nil)
        #expect(PageURL("about:blank") == nil)
        #expect(PageURL("mailto:someone@example.com") == nil)
        #expect(PageURL("https://") == nil)
        #expect(PageURL("https://exa mple.com/") == nil)
        #expect(PageURL("https://[::1/") == nil)
        #expect(PageURL("https://" + String(repeating: "a", count: 254) + "/") == nil)
        #expect(PageURL("https://" + String(repeating: "a", count: 253) + "/") != nil)
    }

    @Test func emptyQueryIsNil() throws {
        #expect(try #require(PageURL("https://example.com/?")).query == nil)
        #expect(try #require(PageURL("https://example.com/?#x")).query == nil)
    }

    @Test func queryValuesAreFormDecoded() throws {
        let url = try #require(PageURL("https://example.com/?q=a+b%20c%2Bd&empty=&flag&q=second&bad=%zz%4"))
        #expect(url.queryValue("q") == "a b c+d")
        #expect(url.queryValue("empty") == "")
        #expect(url.queryValue("flag") == "")
        #expect(url.queryValue("bad") == "%zz%4")
        #expect(url.queryValue("missing") == nil)
    }

    @Test func referrerHostIsNormalisedAndSelfReferralsDropped() {
        #expect(PageURL.referrerHost("https://www.Google.com/search?q=x", pageHost: "example.com") == "google.com")
        #expect(PageURL.referrerHost("https://news.ycombinator.com/item?id=1", pageHost: nil) == "news.ycombinator.com")
        #expect(PageURL.referrerHost("https://www.example.com/a", pageHost: "example.com") == nil)
        #expect(PageURL.referrerHost("https://example.com:443/a", pageHost: "Example.com:8443") == nil)
        #expect(PageURL.referrerHost("https://blog.example.com/a", pageHost: "example.com") == "blog.example.com")
        #expect(PageURL.referrerHost("", pageHost: "example.com") == nil)
        #expect(PageURL.referrerHost("/relative", pageHost: "example.com") == nil)
        #expect(PageURL.referrerHost("not a url", pageHost: "example.com") == nil)
        #expect(
            PageURL.referrerHost("android-app://com.google.android.gm/", pageHost: "example.com")
                == "com.google.android.gm"
        )
    }

    @Test func aPageHostAlreadyNormalisedStillMarksASelfReferral() {
        // The enricher passes PageURL.host, normalised once already; normalising it again is not the same host
        // when one `www.` hid another, or a bracket.
        for page in ["https://www.www.example.com/", "//www.[utm_term/x"] {
            let host = PageURL(page)?.host
            #expect(host != nil)
            #expect(PageURL.referrerHost(page, pageHost: host) == nil, "\(page)")
        }
    }
}
