"""Assertions on the response envelope that API tests share: success data, error codes."""


def assert_envelope(resp, status: int, code: str) -> None:
    """An error envelope: the HTTP status, JSON `{code, data, message}` with this code and a message."""
    assert resp.status_code == status, (resp.status_code, resp.data)
    assert resp.mimetype == "application/json", resp.mimetype
    assert set(resp.json) == {"code", "data", "message"}, resp.json
    assert resp.json["code"] == code and resp.json["message"], resp.json


def assert_validate_error(resp, field: str, status: int = 400) -> None:
    """A `validate_error` whose message starts with the offending field (`field: ...`)."""
    assert_envelope(resp, status, "validate_error")
    assert resp.json["message"].startswith(f"{field}:"), resp.json["message"]


def assert_not_found(resp) -> None:
    assert_envelope(resp, 404, "not_found")


def assert_fail(resp) -> None:
    assert_envelope(resp, 400, "fail")


def success_data(resp, message: str | None = None):
    """The `data` of a success envelope (with this `message`, when given)."""
    assert resp.status_code == 200 and resp.json["code"] == "success", (resp.status_code, resp.data)
    if message is not None:
        assert resp.json["message"] == message, resp.json
    return resp.json["data"]
