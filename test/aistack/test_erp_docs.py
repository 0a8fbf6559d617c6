"""The ERP's own OpenAPI document lists its routes on both addresses."""

from .client import address


def test_document_lists_the_erp_routes(client, via):
    base_url, path = address("erp", "/docs/openapi.json", via)
    resp = client.get(path, base_url=base_url)
    assert resp.status_code == 200, resp.data[:200]
    paths = resp.json["paths"]
    for route in ("/api/customers", "/api/customers/{customer_id}", "/api/orders/{order_id}/status",
                  "/api/production/plans/{plan_id}/progress", "/api/inventory/stock-out", "/api/finance/overview",
                  "/api/finance/reports/{report_id}/download"):
        assert route in paths, sorted(paths)
    levels = [p for p in paths["/api/customers"]["get"]["parameters"] if p["name"] in ("level", "filter[level]")]
    assert len(levels) == 2
