"""Server-sent events: `event:` and single-line `data:` per event, flushed one by one."""

from collections.abc import Iterable, Iterator

from flask import Response as FlaskResponse


def sse_frame(event: str, data_json: str) -> str:
    return f"event: {event}\ndata: {data_json}\n\n"


def sse_response(frames: Iterable[tuple[str, str]]) -> FlaskResponse:
    """Streams `(event name, data as single-line JSON)` pairs as they come."""

    def body() -> Iterator[str]:
        for event, data_json in frames:
            yield sse_frame(event, data_json)

    response = FlaskResponse(body(), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    # Proxies (nginx) must pass each event on at once instead of buffering the stream.
    response.headers["X-Accel-Buffering"] = "no"
    return response
