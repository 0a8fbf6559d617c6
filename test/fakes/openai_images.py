"""Plays OpenAI's image generation endpoint: POST {base}/images/generations with a bearer key."""

import time

from .http_server import FakeServer, RecordedRequest, Reply


class FakeOpenAIImages(FakeServer):
    def __init__(self, api_key: str):
        super().__init__()
        self.api_key = api_key

    @property
    def api_base(self) -> str:
        return self.url + "/v1"

    def route(self, request: RecordedRequest) -> Reply:
        if request.method != "POST" or request.path != "/v1/images/generations":
            return Reply(404, {"error": {"message": "Not found", "type": "invalid_request_error"}})
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return Reply(401, {"error": {"message": "Incorrect API key provided.", "type": "invalid_request_error", "code": "invalid_api_key"}})
        body = request.json()
        if body.get("size") not in ("1024x1024", "1792x1024", "1024x1792"):
            return Reply(400, {"error": {"message": f"Invalid size: {body.get('size')}", "type": "invalid_request_error"}})
        image_id = len(self.requests)
        return Reply(
            200,
            {"created": int(time.time()), "data": [{"url": f"https://images.example.com/generated/{image_id}.png", "revised_prompt": body["prompt"]}]},
        )
