"""`GET /metrics`: the performance figures in the Prometheus text format (prometheus_client),
read from the database like GET /api/resources/performance, so every process of the
deployment answers the same, whole-deployment figures (no multiprocess directory needed),
plus the answering process's own figures (prometheus_client's process collector). Figures
cover a sliding period (`?period=1h` by default): they are gauges and a summary over that
window, not counters since start-up."""

import hmac

from flask import Flask, Response, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import GaugeMetricFamily, SummaryMetricFamily
from prometheus_client.samples import Sample

from config import Settings

from .performance_service import PERIODS, PerformanceService

QUANTILES = (0.5, 0.95, 0.99)
LABELS = ["system", "endpoint", "method"]


class PerformanceCollector:
    def __init__(self, service: PerformanceService, period: str):
        self.service, self.period = service, period

    def collect(self):
        _, routes = self.service.figures(self.period)
        errors = GaugeMetricFamily("aistack_request_errors", f"Requests answered 5xx in the last {self.period}", labels=LABELS)
        client_errors = GaugeMetricFamily("aistack_request_client_errors", f"Requests answered 4xx in the last {self.period}", labels=LABELS)
        latency = SummaryMetricFamily("aistack_request_duration_seconds", f"Request latency over the last {self.period}", labels=LABELS)
        for (system, endpoint, method), figures in sorted(routes.items()):
            labels = [system, endpoint, method]
            errors.add_metric(labels, figures.errors)
            client_errors.add_metric(labels, figures.client_errors)
            latency.add_metric(labels, figures.count, figures.latency_ms / 1000)
            for quantile in QUANTILES:
                latency.samples.append(Sample(
                    latency.name, dict(zip(LABELS, labels), quantile=str(quantile)), figures.percentile(quantile) / 1000,
                ))  # fmt: skip
        yield latency
        yield errors
        yield client_errors


def register_prometheus(app: Flask, settings: Settings, service: PerformanceService) -> None:
    token = settings.aistack_resources.aistack_metrics_token

    def metrics():
        if token and not hmac.compare_digest(request.headers.get("Authorization", "").removeprefix("Bearer ").strip(), token):
            return Response("unauthorized\n", status=401, mimetype="text/plain")
        period = request.args.get("period", "1h")
        if period not in PERIODS:
            return Response(f"period: expected one of {', '.join(PERIODS)}\n", status=400, mimetype="text/plain")
        registry = CollectorRegistry(auto_describe=False)  # one per scrape: its period is the request's
        registry.register(PerformanceCollector(service, period))
        ProcessCollector(registry=registry)
        return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)

    # Prometheus' scrape endpoint speaks its own text format, not the API's envelope: an
    # "openapi…" endpoint name keeps it out of the platform's API document (spectree skips those).
    app.add_url_rule("/metrics", "openapi_excluded_prometheus_metrics", metrics, methods=["GET"])

