"""The base of every built-in tool: a LangChain tool whose failures reach the agent as readable text."""

import logging
from typing import Any

import httpx
from langchain_core.tools import BaseTool, ToolException
from pydantic import ConfigDict, Field, ValidationError

from config import Settings
from pkg.guarded_http import GuardedHttpClient

logger = logging.getLogger(__name__)


def describe_invalid_arguments(exc: ValidationError) -> str:
    problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in exc.errors())
    return f"Invalid arguments: {problems}"


def _excerpt(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


class BuiltinTool(BaseTool):
    """Subclasses implement `execute(**inputs) -> str` and declare their user settings as fields.

    The catalog gives each instance its name, description and args schema from the provider's
    YAML; `ToolException` raised anywhere becomes the tool's answer instead of an error.
    `request` is for the operator-configured service a tool wraps; a URL chosen by a user or the
    model goes through `guarded_http`, which checks where it leads.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    settings: Settings = Field(exclude=True, repr=False)
    guarded_http: GuardedHttpClient = Field(exclude=True, repr=False)
    handle_tool_error: bool = True
    handle_validation_error: Any = describe_invalid_arguments

    def execute(self, **inputs: Any) -> str:
        raise NotImplementedError

    def _run(self, *args: Any, **inputs: Any) -> str:
        # LangChain passes a bare string input of a one-argument tool positionally, and leaves
        # out optional inputs the model did not send.
        fields = self.args_schema.model_fields
        omitted = {name: None for name, field in fields.items() if not field.is_required()}
        inputs = {**omitted, **dict(zip(fields, args)), **inputs}
        try:
            return self.execute(**inputs)
        except ToolException:
            raise
        except Exception:
            # An agent must get an answer from every call; the detail is for the operator's log.
            logger.exception("Built-in tool %s failed", self.name)
            raise ToolException(f"{self.name} failed unexpectedly") from None

    def require_setting(self, value: str, env_name: str) -> str:
        if not value:
            raise ToolException(f"{self.name} is not configured: set {env_name}")
        return value

    @property
    def http_timeout(self) -> float:
        return self.settings.builtin_tools.builtin_tool_http_timeout

    def request(self, method: str, url: str, *, timeout: float | None = None, **kwargs: Any) -> httpx.Response:
        """One call to the tool's configured service; every failure becomes a ToolException."""
        timeout = timeout or self.http_timeout
        try:
            response = httpx.request(method, url, timeout=timeout, **kwargs)
        except httpx.TimeoutException:
            raise ToolException(f"{self.name} request timed out after {timeout:g} seconds") from None
        except httpx.HTTPError as exc:
            raise ToolException(f"{self.name} request failed: {type(exc).__name__}: {exc}") from None
        if response.status_code >= 400:
            raise ToolException(f"{self.name} request failed: HTTP {response.status_code} {_excerpt(response.text)}".rstrip())
        return response

    def request_json(self, method: str, url: str, **kwargs: Any) -> Any:
        response = self.request(method, url, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise ToolException(f"{self.name} got a response that is not JSON: {_excerpt(response.text)}") from None
