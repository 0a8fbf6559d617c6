"""The gateway's part of every AI Stack request: authenticate the caller (unless the route is
public), count the request against the caller's rate ("最佳实践/速率限制": 100/minute by
default) and tell the client where it stands in `X-RateLimit-*` headers, on every response."""

from dataclasses import dataclass

from flask import Response, current_app, g, request
from injector import inject

from config import Settings
from internal.aistack.systems import system_of_path
from internal.exception import CustomException
from internal.extension.rate_limit import RequestLimiter
from internal.service.open_api_limit_service import rate_limit_headers

from .envelope import ErrorCode
from .errors import AIStackException
from .auth import AIStackAuthenticator


@inject
@dataclass
class GatewayHooks:
    settings: Settings
    authenticator: AIStackAuthenticator
    limiter: RequestLimiter

    def before_request(self) -> None:
        system = system_of_path(request.path)
        if system is None or request.method == "OPTIONS":
            return
        view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
        if getattr(view, "aistack_public", True):  # public routes, documents, unknown paths
            self._count(f"ip:{request.remote_addr}")
            return
        try:
            g.aistack_caller = self.authenticator.authenticate(system)
        except CustomException:
            # Refused credentials spend the address's budget: guessing is limited too.
            self._count(f"ip:{request.remote_addr}")
            raise
        self._count(g.aistack_caller.rate_key)

    def _count(self, identity: str) -> None:
        status = self.limiter.hit(self.settings.aistack.aistack_rate_limit, "aistack", identity)
        g.aistack_rate = status
        if not status.allowed:
            raise AIStackException(
                ErrorCode.RATE_LIMIT_EXCEEDED,
                "请求过于频繁，请稍后重试",
                429,
                {"limit": status.limit, "retry_after": status.retry_after},
                headers={"Retry-After": str(status.retry_after)},
            )

    def after_request(self, response: Response) -> Response:
        status = g.get("aistack_rate")
        if status is not None:
            response.headers.update(rate_limit_headers(status))
        return response
