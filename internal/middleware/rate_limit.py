"""Counts every request authenticated by an API key against the key's rate (whatever the route:
open API chat, the OpenAI-compatible surface, ...) and tells the client where it stands in
`X-RateLimit-*` headers. Runs after authentication."""

from dataclasses import dataclass

from flask import Response, g
from injector import inject

from internal.service.open_api_limit_service import OpenApiLimitService, rate_limit_headers


@inject
@dataclass
class RateLimitMiddleware:
    limit_service: OpenApiLimitService

    def before_request(self) -> None:
        api_key = g.get("api_key")
        if api_key is not None:
            g.rate_limit = self.limit_service.count_request(api_key.id)

    def after_request(self, response: Response) -> Response:
        status = g.get("rate_limit")
        if status is not None:
            response.headers.update(rate_limit_headers(status))
        return response
