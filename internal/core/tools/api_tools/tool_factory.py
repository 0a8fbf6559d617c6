"""Turns a stored API tool into a LangChain tool that calls the API through the guarded client."""

import keyword
import re
from typing import Any
from urllib.parse import quote

from langchain_core.tools import BaseTool, ToolException
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from pkg.guarded_http import GuardedHttpClient, OutboundRequestError

from .entities import ApiToolParameter, ApiToolSpec, ParameterIn

TRUNCATION_MARK = "\n…(truncated)"


def describe_invalid_arguments(exc: ValidationError) -> str:
    problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in exc.errors())
    return f"Invalid arguments: {problems}"


class ApiOperationTool(BaseTool):
    """One operation of a custom API; each argument is placed where its parameter's `in` says."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    spec: ApiToolSpec = Field(exclude=True)
    guarded_http: GuardedHttpClient = Field(exclude=True, repr=False)
    max_response_chars: int
    # Argument (field) name → the parameter it fills; the two differ when a parameter's name is
    # not a Python identifier (`X-Api-Key` becomes the argument `X_Api_Key`).
    parameters_by_argument: dict[str, ApiToolParameter]
    handle_tool_error: bool = True
    handle_validation_error: Any = describe_invalid_arguments

    def _run(self, **arguments: Any) -> str:
        url, request = self._place_arguments(arguments)
        try:
            response = self.guarded_http.request(self.spec.method.upper(), url, **request)
        except OutboundRequestError as exc:
            raise ToolException(f"{self.name} request failed: {exc}") from None
        text = self._fit(response.text, response.truncated)
        if response.status_code >= 400:
            raise ToolException(f"{self.name} request failed: HTTP {response.status_code} {text}".rstrip())
        return text

    def _place_arguments(self, arguments: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        url = self.spec.url
        params: dict[str, str] = {}
        headers: dict[str, str] = {}
        cookies: dict[str, str] = {}
        body: dict[str, Any] = {}
        for argument, parameter in self.parameters_by_argument.items():
            value = arguments.get(argument)
            if value is None:
                continue
            if parameter.in_ is ParameterIn.PATH:
                url = url.replace("{" + parameter.name + "}", quote(_as_text(value), safe=""))
            elif parameter.in_ is ParameterIn.QUERY:
                params[parameter.name] = _as_text(value)
            elif parameter.in_ is ParameterIn.HEADER:
                headers[parameter.name] = _as_text(value)
            elif parameter.in_ is ParameterIn.COOKIE:
                cookies[parameter.name] = _as_text(value)
            else:
                body[parameter.name] = value
        # The provider's headers are the owner's (credentials, usually): the model cannot replace them.
        for header in self.spec.headers:
            headers = {k: v for k, v in headers.items() if k.lower() != header.key.lower()}
            headers[header.key] = header.value
        has_body = any(p.in_ is ParameterIn.REQUEST_BODY for p in self.spec.parameters)
        request = {"params": params, "headers": headers, "cookies": cookies, "json": body if has_body else None}
        return url, request

    def _fit(self, text: str, truncated: bool) -> str:
        if len(text) > self.max_response_chars:
            return text[: self.max_response_chars] + TRUNCATION_MARK
        return text + TRUNCATION_MARK if truncated else text


def build_api_tool(spec: ApiToolSpec, guarded_http: GuardedHttpClient, max_response_chars: int) -> ApiOperationTool:
    parameters_by_argument = _argument_names(spec.parameters)
    fields = {}
    for argument, parameter in parameters_by_argument.items():
        python_type = parameter.type.python_type
        if parameter.required:
            fields[argument] = (python_type, Field(description=parameter.description))
        else:
            fields[argument] = (python_type | None, Field(default=None, description=parameter.description))
    return ApiOperationTool(
        name=spec.name,
        description=spec.description,
        args_schema=create_model(f"{spec.name}Arguments", **fields),
        spec=spec,
        guarded_http=guarded_http,
        max_response_chars=max_response_chars,
        parameters_by_argument=parameters_by_argument,
    )


def _argument_names(parameters: list[ApiToolParameter]) -> dict[str, ApiToolParameter]:
    """A Python identifier per parameter, as close to its name as possible and unique."""
    names: dict[str, ApiToolParameter] = {}
    for parameter in parameters:
        base = re.sub(r"\W", "_", parameter.name, flags=re.ASCII)
        if not base[0].isalpha() or keyword.iskeyword(base) or hasattr(BaseModel, base) or base.startswith("model_"):
            base = f"arg_{base}"
        name, suffix = base, 2
        while name in names:
            name, suffix = f"{base}_{suffix}", suffix + 1
        names[name] = parameter
    return names


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
