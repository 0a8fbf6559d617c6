"""AI Stack's response bodies ("通用规范/响应格式"): `{status: success, data, timestamp}`, with
`pagination` beside `data` for lists, and `{status: error, error: {code, message, details},
timestamp}`."""

from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Any, Generic, Self, TypeVar

from flask import Response, current_app
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

T = TypeVar("T")


class ErrorCode(str, Enum):
    """The document's business error codes ("错误码/业务错误码")."""

    INVALID_INPUT = "INVALID_INPUT"
    UNAUTHORIZED = "UNAUTHORIZED"
    RESOURCE_NOT_FOUND = "RESOURCE_NOT_FOUND"
    QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    RATE_LIMIT_EXCEEDED = "RATE_LIMIT_EXCEEDED"


def now_iso() -> str:
    """The current time as the document writes it: ISO 8601 UTC with a `Z` (2025-11-07T10:30:00Z)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso(value: datetime | None) -> str | None:
    """A stored time in the document's format; naive values are UTC (SQLite drops the zone)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# A time in a response: held as the datetime, written by `iso` (`IsoTime | None` where it may be absent).
IsoTime = Annotated[datetime, PlainSerializer(iso, return_type=str)]


class RowResp(BaseModel):
    """A response read off a stored row: each field is the row's attribute of the same name, or
    of the field's `validation_alias` (`order_id: int = Field(validation_alias="id")`)."""

    model_config = ConfigDict(from_attributes=True, validate_by_name=True)

    @classmethod
    def of(cls, row: Any, **computed: Any) -> Self:
        """`computed`: the fields the row does not hold as they are answered."""
        return cls.model_validate(_Overlay(row, computed) if computed else row)


class _Overlay:
    """A row seen with some attributes added or replaced (underscored names: no field has one)."""

    def __init__(self, row: Any, values: dict[str, Any]):
        self._row, self._values = row, values

    def __getattr__(self, name: str) -> Any:
        return self._values[name] if name in self._values else getattr(self._row, name)


class Pagination(BaseModel):
    page: int
    page_size: int
    total_items: int
    total_pages: int


class Success(BaseModel, Generic[T]):
    status: str = Field("success", examples=["success"])
    data: T
    timestamp: str = Field(examples=["2025-11-07T10:30:00Z"])


class Page(BaseModel, Generic[T]):
    status: str = Field("success", examples=["success"])
    data: list[T]
    pagination: Pagination
    timestamp: str = Field(examples=["2025-11-07T10:30:00Z"])


class ErrorBody(BaseModel):
    code: ErrorCode
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class Failure(BaseModel):
    status: str = Field("error", examples=["error"])
    error: ErrorBody
    timestamp: str = Field(examples=["2025-11-07T10:30:00Z"])


def _dump(data: Any) -> Any:
    if isinstance(data, BaseModel):
        return data.model_dump(mode="json")
    if isinstance(data, list):
        return [_dump(item) for item in data]
    return data


def success(data: Any = None, status: int = 200, pagination: Pagination | None = None) -> Response:
    body: dict[str, Any] = {"status": "success", "data": {} if data is None else _dump(data)}
    if pagination is not None:
        body["pagination"] = pagination.model_dump()
    body["timestamp"] = now_iso()
    response = current_app.json.response(body)
    response.status_code = status
    return response


def created(data: Any) -> Response:
    return success(data, status=201)


def failure(code: ErrorCode, message: str, status: int, details: dict | None = None) -> Response:
    body = {
        "status": "error",
        "error": {"code": code.value, "message": message, "details": details or {}},
        "timestamp": now_iso(),
    }
    response = current_app.json.response(body)
    response.status_code = status
    return response
