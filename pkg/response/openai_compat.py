"""The wire format of OpenAI-compatible routes: error bodies `{"error": {message, type, param,
code}}`, which OpenAI's SDKs read into their exceptions (the HTTP status picks the exception
class), and streams of `data:` lines ending with `data: [DONE]`.

Errors are raised and turned into the envelope as everywhere else; `as_openai_error` rewrites
an error envelope on its way out, keeping its status and headers (Retry-After, rate limits).
"""

import json
from collections.abc import Iterable, Iterator

from flask import Response as FlaskResponse


def openai_error_body(message: str, status: int, code: str | None = None, param: str | None = None) -> dict:
    if status >= 500:
        type_ = "server_error"
    elif status == 429:
        type_ = "rate_limit_exceeded"
    elif status in (401, 403):
        type_ = "authentication_error" if status == 401 else "permission_error"
    else:
        type_ = "invalid_request_error"
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def as_openai_error(response: FlaskResponse) -> FlaskResponse:
    """An error envelope as an OpenAI error: `message` as is, the envelope's `code` as `code`,
    and for a validation error the field it names as `param`. Other responses pass unchanged."""
    if response.status_code < 400 or response.mimetype != "application/json" or response.is_streamed:
        return response
    try:
        envelope = json.loads(response.get_data())
    except ValueError:
        return response
    if not isinstance(envelope, dict) or set(envelope) != {"code", "data", "message"}:
        return response
    message, code = str(envelope["message"]), str(envelope["code"])
    param = None
    if code == "validate_error" and ": " in message:
        param = message.split(": ", 1)[0]
    body = openai_error_body(message, response.status_code, code, param)
    response.set_data(json.dumps(body, ensure_ascii=False))
    return response


def openai_sse_response(chunks: Iterable[dict | None]) -> FlaskResponse:
    """Streams each chunk as a `data:` line as it comes (None: a keep-alive comment), then `[DONE]`."""

    def body() -> Iterator[str]:
        for chunk in chunks:
            if chunk is None:
                yield ": ping\n\n"
            else:
                yield f"data: {json.dumps(chunk, ensure_ascii=False, separators=(',', ':'))}\n\n"
        yield "data: [DONE]\n\n"

    response = FlaskResponse(body(), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    # Proxies (nginx) must pass each chunk on at once instead of buffering the stream.
    response.headers["X-Accel-Buffering"] = "no"
    return response
