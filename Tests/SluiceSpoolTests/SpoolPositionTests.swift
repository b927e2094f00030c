import SluiceSpool
import Testing

@Suite struct SpoolPositionTests {
    @Test func ordersBySegmentThenOffset() {
        #expect(SpoolPosition(segment: 1, offset: 999) < SpoolPosition(segment: 2, offset: 0))
        #expect(SpoolPosition(segment: 2, offset: 5) < SpoolPosition(segment: 2, offset: 6))
        #expect(!(SpoolPosition(segment: 2, offset: 6) < SpoolPosition(segment: 2, offset: 6)))
    }
}
