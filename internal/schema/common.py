"""Types and shapes shared by every module's request and response schemas."""

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, PlainSerializer, StringConstraints

from pkg.paginator import Paginator


def _to_seconds(value: datetime | None) -> int:
    return int(value.timestamp()) if value else 0


# A stored datetime rendered as integer Unix seconds; 0 when not set.
Timestamp = Annotated[datetime | None, PlainSerializer(_to_seconds, return_type=int)]


def _check_http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("必须是合法的http或https地址")
    return value


HttpUrlStr = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2048), AfterValidator(_check_http_url)]

def not_blank(value: str) -> str:
    """For text that must say something: whitespace alone is refused (and kept as sent otherwise)."""
    if not value.strip():
        raise ValueError("不能为空")
    return value


_PASSWORD_RULE = re.compile(r"^(?=.*[A-Za-z])(?=.*\d).{8,16}$")


def _check_password(value: str) -> str:
    if not _PASSWORD_RULE.match(value):
        raise ValueError("密码长度为8-16位，且至少包含一个字母和一个数字")
    return value


Password = Annotated[str, AfterValidator(_check_password)]


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
