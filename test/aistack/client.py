"""Calling AI Stack's systems in tests the two ways they are served: under /aistack/<system> on
the main server ("prefix") and on the system's own port at /api/... ("port")."""

from dataclasses import dataclass, field

from flask.testing import FlaskClient

from internal.aistack.systems import SYSTEMS_BY_NAME

VIAS = ("prefix", "port")


def address(system: str, path: str, via: str) -> tuple[str, str]:
    """(base_url, path) of `path` (as the document writes it: /api/..., /docs) of `system`."""
    if via == "port":
        return f"http://localhost:{SYSTEMS_BY_NAME[system].port}", path
    return "http://localhost", f"/aistack/{system}{path}"


@dataclass
class AIStackClient:
    """A caller of AI Stack with a bearer credential (None: anonymous)."""

    client: FlaskClient
    token: str | None
    via: str = "prefix"
    extra_headers: dict = field(default_factory=dict)
    member: object = None  # the signed-in test account (test.conftest.Member)

    def request(self, method: str, system: str, path: str, **kwargs):
        base_url, url = address(system, path, self.via)
        headers = dict(kwargs.pop("headers", None) or {})
        if self.token is not None:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        return self.client.open(url, method=method, base_url=base_url, headers=headers | self.extra_headers, **kwargs)

    def get(self, system: str, path: str, **kwargs):
        return self.request("GET", system, path, **kwargs)

    def post(self, system: str, path: str, **kwargs):
        return self.request("POST", system, path, **kwargs)

    def put(self, system: str, path: str, **kwargs):
        return self.request("PUT", system, path, **kwargs)

    def delete(self, system: str, path: str, **kwargs):
        return self.request("DELETE", system, path, **kwargs)


def issue_token(client: FlaskClient, email: str, password: str) -> str:
    resp = client.post("/aistack/rag/api/auth/token", json={"username": email, "password": password})
    assert resp.status_code == 200, resp.json
    return resp.json["data"]["access_token"]


def data_of(resp, status: int = 200):
    """The `data` of a success envelope, after checking its shape and status."""
    assert resp.status_code == status, resp.json
    body = resp.json
    assert body["status"] == "success" and body["timestamp"].endswith("Z"), body
    return body["data"]


def assert_error(resp, status: int, code: str, field: str | None = None) -> dict:
    """An error envelope with `code`; `field` must be named in `details`."""
    assert resp.status_code == status, resp.json
    body = resp.json
    assert body["status"] == "error" and body["error"]["code"] == code, body
    if field is not None:
        assert field in body["error"]["details"], body
    return body["error"]
