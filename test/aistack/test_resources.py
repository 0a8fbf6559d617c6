"""AI Stack resource management (port 8018): machine metrics in the document's shape plus the
process's own, per-endpoint performance from the request middleware (also at /metrics in the
Prometheus format), and deployment-wide quotas that only administrators set, validated against
the machine and enforced on the agent runtime's concurrent runs."""

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import psutil
import pytest
from sqlalchemy import delete

from config import Settings
from internal.aistack.resources.models import ResourceQuota
from internal.aistack.resources.quotas import AGENT_RUNTIME, ResourceQuotas
from internal.aistack.resources.request_stats import RouteFigures, bucket_of
from internal.exception import TooManyRequestsException
from internal.extension.database import db
from internal.service.open_api_limit_service import OpenApiLimitService

from test.statements import statements_in_this_thread

from .client import AIStackClient, assert_error, data_of
from .erp_support import erp_caller

METRICS = "/api/resources/metrics"


@pytest.fixture
def caller(app, client):
    return erp_caller(app, client)


@pytest.fixture
def admin(app, client, monkeypatch):
    """A caller named in AISTACK_ADMIN_EMAILS; quotas it sets are removed afterwards."""
    stack = erp_caller(app, client)
    settings = app.extensions["injector"].get(Settings).aistack_resources
    monkeypatch.setattr(settings, "aistack_admin_emails", f"someone@example.com, {stack.member.email.upper()}")
    yield stack
    with app.app_context():
        db.session.execute(delete(ResourceQuota))
        db.session.commit()


def _route(performance: dict, system: str, endpoint: str, method: str = "GET") -> dict | None:
    for entry in performance["systems"]:
        if entry["system"] == system:
            for route in entry["endpoints"]:
                if (route["endpoint"], route["method"]) == (endpoint, method):
                    return route
    return None


def test_metrics_in_the_documents_shape_on_both_addresses(aistack):
    figures = data_of(aistack.get("resources", METRICS))
    assert set(figures) == {"cpu", "memory", "disk", "process"}
    assert figures["cpu"]["cores"] == psutil.cpu_count() and 0 <= figures["cpu"]["usage_percent"] <= 100
    for part in ("memory", "disk"):
        assert set(figures[part]) == {"used", "total", "usage_percent"}
        assert 0 < figures[part]["used"] <= figures[part]["total"]
        assert figures[part]["usage_percent"] == pytest.approx(figures[part]["used"] * 100 / figures[part]["total"], abs=0.2)
    assert figures["memory"]["total"] == psutil.virtual_memory().total
    process = figures["process"]
    assert process["rss"] > 0 and process["threads"] >= 1 and process["open_files"] >= 0 and process["pid"] > 0


def test_metrics_need_a_caller(client):
    resp = client.get("/aistack/resources" + METRICS)
    assert_error(resp, 401, "UNAUTHORIZED")


def test_performance_counts_each_request_per_system_and_endpoint(caller, client):
    def snapshot():
        return data_of(caller.get("resources", "/api/resources/performance?period=1h"))

    before = snapshot()
    count_before = (_route(before, "resources", METRICS) or {"requests": 0})["requests"]
    apps_before = (_route(before, "platform", "/apps") or {"requests": 0})["requests"]
    for _ in range(3):
        data_of(caller.get("resources", METRICS))
    assert client.get("/apps").status_code == 401  # a platform request, refused
    after = snapshot()
    metrics = _route(after, "resources", METRICS)
    assert metrics["requests"] == count_before + 3 and metrics["error_rate"] == 0
    latency = metrics["latency_ms"]
    assert 0 < latency["p50"] <= latency["p95"] <= latency["p99"]
    apps = _route(after, "platform", "/apps")
    assert apps["requests"] == apps_before + 1 and apps["client_error_rate"] > 0
    # The performance request itself is counted too (once its answer has gone).
    assert _route(after, "resources", "/api/resources/performance")["requests"] >= 1
    only = data_of(caller.get("resources", "/api/resources/performance?period=7d&system=resources"))
    assert only["period"] == "7d" and {s["system"] for s in only["systems"]} == {"resources"}
    assert only["since"].endswith("Z")


def test_performance_period_and_system_validated(caller):
    assert_error(caller.get("resources", "/api/resources/performance?period=2h"), 400, "INVALID_INPUT", "period")
    assert_error(caller.get("resources", "/api/resources/performance?system=nope"), 400, "INVALID_INPUT", "system")


def test_performance_through_the_port(aistack):
    data_of(aistack.get("resources", METRICS))
    assert _route(data_of(aistack.get("resources", "/api/resources/performance")), "resources", METRICS)["requests"] >= 1


def test_prometheus_exports_the_same_figures(caller, client):
    data_of(caller.get("resources", METRICS))
    resp = client.get("/metrics")
    assert resp.status_code == 200 and resp.content_type.startswith("text/plain")
    text = resp.get_data(as_text=True)
    labels = 'endpoint="/api/resources/metrics",method="GET",system="resources"'
    count_line = next(line for line in text.splitlines() if line.startswith(f"aistack_request_duration_seconds_count{{{labels}}}"))
    performance = data_of(caller.get("resources", "/api/resources/performance?system=resources"))
    assert float(count_line.split()[-1]) == _route(performance, "resources", METRICS)["requests"]
    assert any(line.startswith("aistack_request_duration_seconds{") and 'quantile="0.99"' in line
               and 'endpoint="/api/resources/metrics"' in line for line in text.splitlines())
    assert "# TYPE aistack_request_duration_seconds summary" in text and "process_resident_memory_bytes" in text
    assert client.get("/metrics?period=30d").status_code == 400


def test_latency_histogram_percentiles_and_errors():
    figures = RouteFigures()
    for latency in [1.0] * 90 + [100.0] * 9 + [1000.0]:
        figures.add(bucket_of(latency), 1, 0, 0, latency)
    figures.add(bucket_of(5.0), 1, 1, 0, 5.0)  # a 5xx
    assert figures.count == 101 and figures.errors == 1
    assert figures.percentile(0.5) == pytest.approx(1.0, rel=0.25)
    assert figures.percentile(0.95) == pytest.approx(100.0, rel=0.25)
    assert figures.percentile(0.999) == pytest.approx(1000.0, rel=0.25)


def test_only_administrators_set_quotas(caller):
    assert_error(caller.post("resources", "/api/resources/allocate", json={"service": "rag_system", "cpu": 1, "memory": 512}),
                 403, "UNAUTHORIZED")
    assert data_of(caller.get("resources", "/api/resources/allocations"))["quotas"] == []


def test_allocate_validates_against_the_machine(admin):
    cores, memory_mb = psutil.cpu_count(), psutil.virtual_memory().total // 2**20
    quota = data_of(admin.post("resources", "/api/resources/allocate", json={"service": "rag_system", "cpu": 0.5, "memory": 512}))
    assert (quota["service"], quota["cpu"], quota["memory"], quota["enforced"]) == ("rag_system", 0.5, 512, {})
    # Setting it again replaces it.
    data_of(admin.post("resources", "/api/resources/allocate", json={"service": "rag_system", "cpu": 1, "memory": 1024}))
    for body, field in (
        ({"service": "erp_system", "cpu": cores, "memory": 64}, "cpu"),  # with rag's core, more than the machine
        ({"service": "erp_system", "cpu": 0.5, "memory": memory_mb}, "memory"),
        ({"service": "mainframe", "cpu": 1, "memory": 64}, "service"),
        ({"service": "erp_system", "cpu": 0, "memory": 64}, "cpu"),
        ({"service": "erp_system", "cpu": "2", "memory": 64}, "cpu"),
        ({"service": "erp_system", "cpu": 1, "memory": 1.5}, "memory"),
        ({"service": "erp_system", "cpu": 1}, "memory"),
    ):
        assert_error(admin.post("resources", "/api/resources/allocate", json=body), 400, "INVALID_INPUT", field)
    listing = data_of(admin.get("resources", "/api/resources/allocations"))
    assert [q["service"] for q in listing["quotas"]] == ["rag_system"]
    assert listing["capacity"] == {"cores": cores, "memory": memory_mb, "allocated_cpu": 1.0, "allocated_memory": 1024}
    data_of(admin.delete("resources", "/api/resources/allocations/rag_system"))
    assert_error(admin.delete("resources", "/api/resources/allocations/rag_system"), 404, "RESOURCE_NOT_FOUND")
    assert_error(admin.delete("resources", "/api/resources/allocations/nope"), 404, "RESOURCE_NOT_FOUND")


def test_concurrent_allocations_never_overbook_the_machine(app, admin):
    services = ["rag_system", "erp_system", "trends_system", "stock_system", "content_system", "tasks_system"]
    share = psutil.cpu_count() / 4

    def allocate(service):
        caller = AIStackClient(app.test_client(), admin.token, "prefix")
        return caller.post("resources", "/api/resources/allocate", json={"service": service, "cpu": share, "memory": 64}).status_code

    with ThreadPoolExecutor(len(services)) as pool:
        statuses = list(pool.map(allocate, services))
    assert sorted(statuses) == [200] * 4 + [400] * 2
    assert data_of(admin.get("resources", "/api/resources/allocations"))["capacity"]["allocated_cpu"] == pytest.approx(share * 4)


def test_the_agent_runtimes_quota_bounds_concurrent_runs(app, admin):
    limits = app.extensions["injector"].get(OpenApiLimitService)
    app_id = uuid.uuid4()
    quota = data_of(admin.post("resources", "/api/resources/allocate", json={"service": "agent_runtime", "cpu": 0.25, "memory": 256}))
    assert quota["enforced"]["openapi_max_concurrent_runs"] == 1  # 0.25 core × 4 runs per core
    with app.app_context():
        with limits.acquire_run_slot(app_id):
            with pytest.raises(TooManyRequestsException):
                limits.acquire_run_slot(app_id)
    data_of(admin.delete("resources", "/api/resources/allocations/agent_runtime"))
    with app.app_context():  # back to OPENAPI_MAX_CONCURRENT_RUNS
        with limits.acquire_run_slot(app_id), limits.acquire_run_slot(app_id):
            pass


def test_quotas_are_read_at_start_up_and_again_in_the_background(app):
    """A chat turn never waits for the quotas: a process reads them at start-up, and once
    AISTACK_RESOURCES_QUOTA_REFRESH has passed the use that notices goes on with the last ones
    while a thread reads them again (so another process's change is seen soon after)."""
    quotas = ResourceQuotas(app, app.extensions["injector"].get(Settings), db)  # another process's
    quotas.refresh = 0.2
    quotas.load()
    assert statements_in_this_thread(app, lambda: quotas.quota(AGENT_RUNTIME)) == (None, 0)
    with app.app_context():  # set by another process
        db.session.add(ResourceQuota(service=AGENT_RUNTIME, cpu=0.5, memory=256))
        db.session.commit()
    try:
        time.sleep(0.3)
        assert statements_in_this_thread(app, lambda: quotas.quota(AGENT_RUNTIME)) == (None, 0)
        deadline = time.monotonic() + 5
        while quotas.quota(AGENT_RUNTIME) is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert quotas.quota(AGENT_RUNTIME) == (0.5, 256)
        assert quotas.concurrent_runs(AGENT_RUNTIME, 10) == 2
    finally:
        with app.app_context():
            db.session.execute(delete(ResourceQuota))
            db.session.commit()
        app.extensions["injector"].get(ResourceQuotas).invalidate()
