import SluiceLoader
import Testing

@Suite struct LoaderUtilizationTests {
    @Test func aLoaderBusyAllTheTimeBecomesSaturatedWithinAFewWindows() {
        var utilization = LoaderUtilization(window: .seconds(2))
        #expect(utilization.value == 0 && !utilization.isSaturated)
        // Back-to-back 50 ms commits for 2 s: 1 - e^-1, not yet saturated.
        for _ in 0..<40 { utilization.record(.milliseconds(50), busy: true) }
        #expect(abs(utilization.value - 0.632) < 0.001)
        #expect(!utilization.isSaturated)
        // Another 2 s: 1 - e^-2.
        for _ in 0..<40 { utilization.record(.milliseconds(50), busy: true) }
        #expect(abs(utilization.value - 0.865) < 0.001)
        #expect(utilization.isSaturated)
    }

    @Test func aLoaderAtHalfItsCapacitySettlesNearAHalf() {
        var utilization = LoaderUtilization(window: .seconds(2))
        for _ in 0..<400 {
            utilization.record(.milliseconds(20), busy: true)
            utilization.record(.milliseconds(20), busy: false)
        }
        #expect(abs(utilization.value - 0.5) < 0.01)
        #expect(!utilization.isSaturated)
    }

    @Test func idlingEasesASaturatedLoaderWithinAWindow() {
        var utilization = LoaderUtilization(window: .seconds(2))
        for _ in 0..<200 { utilization.record(.milliseconds(50), busy: true) }
        #expect(utilization.isSaturated)
        // The loader's idle waits are 100 ms: five of them take it below the line (0.99 e^-0.25 = 0.77).
        for _ in 0..<5 { utilization.record(.milliseconds(100), busy: false) }
        #expect(!utilization.isSaturated)
    }

    @Test func emptyStretchesChangeNothing() {
        var utilization = LoaderUtilization()
        utilization.record(.seconds(1), busy: true)
        let before = utilization.value
        utilization.record(.zero, busy: false)
        #expect(utilization.value == before)
    }
}
