import SluiceStats
import Testing

@Suite struct StatsFilterParsingTests {
    @Test func readsConditionsOperatorsAndAlternatives() throws {
        let filters = try StatsFilter.parse("page==/pricing|/plans;utm_source!=newsletter;country==DE")
        #expect(
            filters == [
                StatsFilter(.page, .is, ["/pricing", "/plans"]),
                StatsFilter(.utmSource, .isNot, ["newsletter"]),
                StatsFilter(.country, .is, ["DE"]),
            ]
        )
    }

    @Test func readsPlausiblePrefixes() throws {
        let filters = try StatsFilter.parse(
            "event:page==/a;visit:source==google.com;event:name==Signup;visit:device==mobile;event:goal==Order"
        )
        #expect(filters.map(\.property) == [.page, .referrer, .event, .device, .event])
    }

    @Test func backslashEscapesSeparators() throws {
        let filters = try StatsFilter.parse(#"page==/a\|b|/c\;d;event==x\\y;page==/q\x"#)
        #expect(filters[0].values == ["/a|b", "/c;d"])
        #expect(filters[1].values == [#"x\y"#])
        #expect(filters[2].values == [#"/q\x"#])
    }

    @Test func valuesMayHoldOperatorsAndSpaces() throws {
        #expect(try StatsFilter.parse("page==/a==b!=c") == [StatsFilter(.page, .is, ["/a==b!=c"])])
        #expect(try StatsFilter.parse(" country != DE") == [StatsFilter(.country, .isNot, [" DE"])])
    }

    @Test func emptyTextIsNoFilter() throws {
        #expect(try StatsFilter.parse("").isEmpty)
    }

    @Test func noneMatchesAMissingValue() {
        let filter = StatsFilter(.referrer, .isNot, [StatsProperty.none])
        #expect(!filter.matches("(none)"))
        #expect(filter.matches("google.com"))
    }

    @Test(
        arguments: [
            ("page==/a;", "a condition between ';' is empty"),
            (";page==/a", "a condition between ';' is empty"),
            ("page=/a", "'page=/a': a condition is property==value or property!=value"),
            ("page", "'page': a condition is property==value or property!=value"),
            ("colour==red", "'colour==red': unknown property 'colour'"),
            ("visit:page==/a", "'visit:page==/a': unknown property 'visit:page'"),
            ("page==", "'page==': an alternative value is empty (write (none) to match a missing one)"),
            ("page==/a||/b", "'page==/a||/b': an alternative value is empty (write (none) to match a missing one)"),
            ("page==/a\u{0}", "NUL characters cannot be matched"),
        ]
    )
    func refusesMalformedConditionsNamingFilters(_ text: String, _ message: String) {
        do {
            _ = try StatsFilter.parse(text)
            Issue.record("'\(text)' was accepted")
        } catch {
            #expect(error.parameter == "filters")
            #expect(error.code == .invalidParameter)
            #expect(error.message.hasPrefix("filters: "), "\(error.message)")
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test func boundsTheAlternatives() throws {
        let many = (0...StatsFilter.maximumValues).map { "/p\($0)" }.joined(separator: "|")
        #expect(throws: StatsError.self) { try StatsFilter.parse("page==" + many) }
        #expect(
            try StatsFilter.parse("page==" + many.split(separator: "|").dropFirst().joined(separator: "|")).count == 1)
    }
}
