"""Types and shapes shared by every module's request and response schemas."""

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, PlainSerializer, StrictInt, StringConstraints

from pkg.paginator import Paginator


def _to_seconds(value: datetime | None) -> int:
    return int(value.timestamp()) if value else 0


# A stored datetime rendered as integer Unix seconds; 0 when not set.
Timestamp = Annotated[datetime | None, PlainSerializer(_to_seconds, return_type=int)]


class Documented:
    """Annotation metadata adding JSON-schema keywords to a type's OpenAPI description.

    For rules a validator applies that the generated schema would not show, so the document is
    as strict as the validation (generated clients and fuzzers see the real rules).
    """

    def __init__(self, **keywords: Any):
        self.keywords = keywords

    def __get_pydantic_json_schema__(self, core_schema, handler):
        schema = handler(core_schema)
        schema.update(self.keywords)
        return schema


# At least one character that is not whitespace, in the JSON-schema (ECMA) dialect; the class
# also leaves out the few characters only Python counts as whitespace.
VISIBLE = r"[^\s\x1c-\x1f\x85]"


def _visible_span(min_length: int) -> str:
    """A pattern for "at least `min_length` characters once surrounding whitespace is trimmed"."""
    if min_length <= 1:
        return VISIBLE
    return rf"{VISIBLE}[\s\S]{{{min_length - 2},}}{VISIBLE}"


def trimmed(max_length: int, min_length: int = 0) -> Any:
    """Text kept without surrounding whitespace; `min_length` counts what is left."""
    constraints = StringConstraints(strip_whitespace=True, min_length=min_length or None, max_length=max_length)
    if not min_length:
        return Annotated[str, constraints]
    return Annotated[str, constraints, Documented(pattern=_visible_span(min_length))]


def not_blank(value: str) -> str:
    """For text that must say something: whitespace alone is refused (and kept as sent otherwise)."""
    if not value.strip():
        raise ValueError("不能为空")
    return value


def text(max_length: int) -> Any:
    """Text that must say something, kept exactly as sent."""
    return Annotated[str, StringConstraints(max_length=max_length), AfterValidator(not_blank), Documented(pattern=VISIBLE)]


def _check_http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("必须是合法的http或https地址")
    return value


# What _check_http_url takes, for the document: http(s), then a host of printable ASCII without
# the characters that end it or that urlsplit refuses unpaired ([ ]).
HTTP_URL_PATTERN = r'^\s*[Hh][Tt][Tt][Pp][Ss]?://[!"$-.0->@-Z\\^-~]+(?:[/?#][\s\S]*)?\s*$'
HttpUrlStr = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=2048),
    AfterValidator(_check_http_url),
    Documented(format="uri", pattern=HTTP_URL_PATTERN),
]

# 8-16 characters with at least one ASCII letter and one ASCII digit.
PASSWORD_PATTERN = r"^(?=.*[A-Za-z])(?=.*[0-9]).{8,16}$"
_PASSWORD_RULE = re.compile(PASSWORD_PATTERN)


def _check_password(value: str) -> str:
    if not _PASSWORD_RULE.fullmatch(value):
        raise ValueError("密码长度为8-16位，且至少包含一个字母和一个数字")
    return value


Password = Annotated[
    str, AfterValidator(_check_password), Documented(pattern=PASSWORD_PATTERN, minLength=8, maxLength=16)
]


def _integral_float(value: Any) -> Any:
    # JSON Schema counts 8.0 as an integer, so the API does too; "8" and true stay refused.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


JsonInt = Annotated[StrictInt, BeforeValidator(_integral_float)]


class RequestModel(BaseModel):
    """Request bodies ignore fields they do not know: clients send widget state (`fileList`, …)
    along with the documented fields, which keep their strict validation."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)


class ResponseModel(BaseModel):
    """Response shapes read ORM objects (or dicts) and render JSON-ready dicts."""

    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def render(cls, obj: Any) -> dict:
        return cls.model_validate(obj).model_dump(mode="json")

    @classmethod
    def render_many(cls, objs: Iterable[Any]) -> list[dict]:
        return [cls.render(obj) for obj in objs]


DataT = TypeVar("DataT")


class Envelope(BaseModel, Generic[DataT]):
    """The `{code, data, message}` wrapper, as the OpenAPI document shows it."""

    code: str = "success"
    data: DataT
    message: str = ""


class Page(BaseModel, Generic[DataT]):
    list: list[DataT]
    paginator: Paginator


class Empty(BaseModel):
    pass


class ErrorEnvelope(BaseModel):
    code: str
    data: dict[str, Any] = {}
    message: str
