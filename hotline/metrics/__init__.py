"""hotline.metrics: Prometheus counters, histograms and gauges, and the /metrics server."""

from hotline.metrics.hotline_metrics import (
    OPERATOR_STATES,
    TALK_BUCKETS_S,
    WAIT_BUCKETS_S,
    HotlineMetrics,
)
from hotline.metrics.server import MetricsServer, serve_metrics

__all__ = [
    "OPERATOR_STATES",
    "TALK_BUCKETS_S",
    "WAIT_BUCKETS_S",
    "HotlineMetrics",
    "MetricsServer",
    "serve_metrics",
]
