"""Building blocks for chat tests: apps that talk to the session's fake model, and SSE parsing."""

import json
import uuid

from test.api.apps import assert_updated, create_app, update_draft


def read_events(resp) -> list[dict]:
    """The `{event, data}` pairs of a text/event-stream response, in order."""
    assert resp.status_code == 200, resp.data
    assert resp.mimetype == "text/event-stream", resp.data
    events = []
    for block in resp.get_data(as_text=True).split("\n\n"):
        if not block.strip():
            continue
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        events.append({"event": lines["event"], "data": json.loads(lines["data"])})
    return events


def answer_of(events: list[dict]) -> str:
    return "".join(e["data"]["answer"] for e in events if e["event"] == "agent_message")


def debug_chat(client, member, app_id, query: str, **body) -> list[dict]:
    resp = client.post(f"/apps/{app_id}/conversations", json={"query": query, **body}, headers=member.headers)
    return read_events(resp)


def chat_app(client, member, marker: str | None = None, **config) -> tuple[str, str]:
    """An app whose draft talks to the fake model; its preset prompt carries `marker`, which
    scripts (`fake_llm.script_chat(marker, ...)`) use to answer this app's model calls only."""
    marker = marker or f"marker-{uuid.uuid4().hex[:12]}"
    app_id = create_app(client, member, name=f"chat-{marker}"[:40])
    body = {
        "model_config": {"provider": "openai", "model": "gpt-4o-mini", "parameters": {}},
        "preset_prompt": f"You are a test assistant ({marker}).",
        **config,
    }
    assert_updated(update_draft(client, member, app_id, body))
    return app_id, marker
