"""`@endpoint` declares a handler's contract once: who may call it, what it takes, what it returns.

The same declaration parses the request (errors become `validate_error` naming the field)
and describes the route in the OpenAPI document served at /docs/openapi.json.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, wraps
from typing import Any

from flask import request
from pydantic import BaseModel, ValidationError, create_model
from spectree import SecurityScheme, SecuritySchemeData, SpecTree
from spectree.models import SecureType
from spectree import Response as DocResponse
from spectree.model_adapter.pydantic_adapter import BaseFile
from werkzeug.datastructures import FileStorage

from internal.exception import ValidateErrorException
from internal.middleware import AuthKind
from internal.schema.common import Empty, Envelope, ErrorEnvelope
from pkg.untrusted_json import NUL, TooDeep, find_nul, loads_bounded
from pkg.validation_message import describe_fields, describe_validation_error, field_name

api_doc = SpecTree(
    "flask",
    title="LLMOps API",
    version="1.0.0",
    path="docs",
    annotations=False,
    validation_error_status=400,
    validation_error_model=ErrorEnvelope,
    security_schemes=[
        SecurityScheme(
            name="access_token",
            data=SecuritySchemeData(type=SecureType.HTTP, scheme="bearer", bearer_format="JWT"),
        ),
        SecurityScheme(
            name="api_key",
            data=SecuritySchemeData(type=SecureType.HTTP, scheme="bearer", description="llmops-v1/…"),
        ),
    ],
    naming_strategy=lambda model: model.__name__.replace("[", "_").replace("]", "").replace(",", "_"),
)

_SECURITY = {
    AuthKind.JWT: {"access_token": []},
    AuthKind.API_KEY: {"api_key": []},
    AuthKind.NONE: {},
    AuthKind.OPTIONAL_JWT: {"access_token": []},
    AuthKind.WEBHOOK: {},
}
# No request body of the API nests deeper than a few levels (tool params, model parameters).
MAX_JSON_DEPTH = 32


def _json_body() -> dict:
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        body = loads_bounded(raw, MAX_JSON_DEPTH)
    except TooDeep:
        raise ValidateErrorException(f"body: JSON嵌套层级不能超过{MAX_JSON_DEPTH}层") from None
    except ValueError:
        raise ValidateErrorException("请求体必须是合法的JSON", status=415 if not request.is_json else 400) from None
    if not isinstance(body, dict):
        raise ValidateErrorException("请求体必须是JSON对象")
    return body


def refuse_nul(data: Any) -> None:
    """No database stores a NUL character (PostgreSQL refuses it in text and JSON): one in a
    value the API keeps is a validation error naming the field."""
    where = find_nul(data)
    if where is not None:
        raise ValidateErrorException(f"{field_name(where)}: 不能包含空字符")


def parse(model: type[BaseModel], data: Any) -> BaseModel:
    """`data` validated by `model`; fields the model does not know are dropped, unchecked."""
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        raise ValidateErrorException(describe_validation_error(exc), fields=describe_fields(exc)) from None
    refuse_nul(parsed.model_dump(by_alias=True))
    return parsed


# Room for a multipart body's boundaries and headers around its one file.
MULTIPART_FRAMING = 1024 * 1024


@dataclass(frozen=True)
class FilePart:
    """The one file a multipart endpoint takes: its form field and the most bytes it may hold."""

    name: str
    max_size: int


def _one_file(part: FilePart) -> FileStorage:
    """The request's single non-empty file under `part.name`, checked to the exact byte."""
    if request.mimetype != "multipart/form-data":
        raise ValidateErrorException(f"{part.name}: 请使用multipart/form-data格式上传文件", status=415)
    # Each file endpoint takes a body of its own size (audio: 25 MB) plus the multipart framing;
    # larger bodies are refused (413) before they are read.
    request.max_content_length = part.max_size + MULTIPART_FRAMING
    chosen = [f for f in request.files.getlist(part.name) if f.filename]
    if not chosen:
        raise ValidateErrorException(f"{part.name}: 请选择要上传的文件")
    if sum(1 for _, f in request.files.items(multi=True) if f.filename) > 1:
        raise ValidateErrorException(f"{part.name}: 每次只能上传一个文件")
    file = chosen[0]
    if NUL in file.filename:
        raise ValidateErrorException(f"{part.name}: 文件名不能包含空字符")
    # Werkzeug spools parts to a seekable buffer or temporary file, so the size is exact.
    size = file.stream.seek(0, 2)
    file.stream.seek(0)
    if size == 0:
        raise ValidateErrorException(f"{part.name}: 文件内容不能为空")
    if size > part.max_size:
        raise ValidateErrorException(f"{part.name}: 文件大小不能超过{_megabytes(part.max_size)}", status=413)
    return file


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g}MB"


@cache
def _file_form(name: str) -> type[BaseModel]:
    return create_model(f"FileForm_{name}", **{name: (BaseFile, ...)})


class _EnvelopeOrRaw(DocResponse):
    """A 200 documented as the envelope or, as the request asks, a body of another media type."""

    def __init__(self, media_type: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.media_type = media_type

    def generate_spec(self, *args, **kwargs) -> dict[str, Any]:
        spec = super().generate_spec(*args, **kwargs)
        spec["200"]["content"][self.media_type] = {"schema": {"type": "string"}}
        return spec


def endpoint(
    *,
    auth: AuthKind | None = None,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    file: FilePart | None = None,
    resp: Any = Empty,
    raw_response: str | None = None,
    tags: tuple[str, ...] = (),
    enveloped: bool = True,
    error_model: type[BaseModel] = ErrorEnvelope,
    doc: SpecTree = api_doc,
    success_status: int = 200,
    extra_errors: tuple[int, ...] = (),
    security: dict | None = None,
    form: type[BaseModel] | None = None,
) -> Callable:
    """Parsed `body` and `query` models reach the handler as keyword arguments of those names,
    and so does the uploaded `file` (a werkzeug FileStorage) of a multipart endpoint.

    `resp` is the type of the envelope's `data` (of the whole body when not `enveloped`);
    `raw_response` names a media type for routes that answer without the envelope (icons,
    streams); with both, the route answers either (the open API chat: the stored message, or a
    stream). `error_model` is the documented error body (routes of another protocol, /v1).
    `auth` None: the default of the route group the handler is registered in (see
    `internal.router`). `doc` is the OpenAPI document the route is described in (AI Stack's
    systems have one each), `success_status` its documented success status and `extra_errors`
    the error statuses it may answer besides the usual ones; `security` replaces the document's
    security requirement the route's `auth` implies (for routes another gateway authenticates).
    `form` documents a multipart body's fields (files typed as spectree's BaseFile) in place of
    the one `file` part, for handlers that also read other parts.
    """

    def decorate(func: Callable) -> Callable:
        @wraps(func)
        def handle(*args, **kwargs):
            refuse_nul(request.view_args or {})
            if body is not None:
                kwargs["body"] = parse(body, _json_body())
            if query is not None:
                kwargs["query"] = parse(query, request.args.to_dict())
            if file is not None:
                kwargs["file"] = _one_file(file)
            return func(*args, **kwargs)

        # Any request body may be too large (413) or of a media type the route does not read (415).
        statuses = (400, 401, 404, 413, 415) if file or body or form else (400, 401, 404)
        if auth is AuthKind.API_KEY:
            statuses += (429,)  # the key's request rate or the app's concurrent runs (RateLimitMiddleware)
        errors = {f"HTTP_{status}": error_model for status in statuses + extra_errors}
        ok = f"HTTP_{success_status}"
        if raw_response and resp is not Empty:
            doc_resp = _EnvelopeOrRaw(raw_response, HTTP_200=Envelope[resp], **errors)
        elif raw_response:
            doc_resp = DocResponse(**{ok: None}, **errors)
        else:
            doc_resp = DocResponse(**{ok: Envelope[resp] if enveloped else resp}, **errors)
        documented = doc.validate(
            json=body,
            query=query,
            form=form or (_file_form(file.name) if file is not None else None),
            resp=doc_resp,
            tags=tags,
            security=security if security is not None else _SECURITY[auth] if auth is not None else None,
            skip_validation=True,
        )(func)
        # spectree only describes the route: its runtime wrapper reads every response body,
        # which would buffer streams. The document finds the description through __wrapped__.
        handle.__wrapped__ = documented
        handle.auth = auth
        return handle

    return decorate


def apply_default_auth(view: Callable, default: AuthKind) -> AuthKind:
    """Gives a view that declared no `auth` its route group's default, in the middleware and in
    the document; returns the view's authentication."""
    func = getattr(view, "__func__", view)
    if func.auth is None:
        func.auth = default
        api_doc.get_function_metadata(func).security = _SECURITY[default]
    return func.auth
