import Metrics
import Prometheus

/// The Prometheus registry behind `GET /metrics`, and the request-side counters.
///
/// swift-metrics allows one backend per process, so the registry is bootstrapped once, on first use, and
/// shared by every server the process starts (tests start several).
package enum IngestMetrics {
    package static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    /// Call before creating any metric, so none is created against the no-op backend.
    package static func bootstrap() { _ = registry }

    package static func text() -> [UInt8] { registry.emitToBuffer() }
}
