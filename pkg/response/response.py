"""The `{code, data, message}` envelope every JSON response uses."""

from dataclasses import dataclass, field
from typing import Any

from flask import Response as FlaskResponse
from flask import current_app

from .http_code import HttpCode


@dataclass
class Response:
    code: HttpCode = HttpCode.SUCCESS
    message: str = ""
    data: Any = field(default_factory=dict)


def json(resp: Response, status: int | None = None) -> FlaskResponse:
    body = {"code": resp.code.value, "data": resp.data, "message": resp.message}
    response = current_app.json.response(body)
    response.status_code = status or resp.code.status
    return response


def success_json(data: Any = None) -> FlaskResponse:
    return json(Response(data={} if data is None else data))


def success_message(message: str) -> FlaskResponse:
    return json(Response(message=message))


def fail_json(code: HttpCode, message: str, status: int | None = None, data: Any = None) -> FlaskResponse:
    return json(Response(code=code, message=message, data={} if data is None else data), status)


# Catalog icons never change while the process runs; browsers may keep them for a day.
ICON_CACHE_CONTROL = "public, max-age=86400"


def icon_response(content: bytes, mimetype: str) -> FlaskResponse:
    """A catalog icon as raw bytes (no envelope), cacheable, never sniffed into another type."""
    response = FlaskResponse(content, mimetype=mimetype)
    response.headers["Cache-Control"] = ICON_CACHE_CONTROL
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
