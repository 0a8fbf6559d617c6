"""List requests the AI Stack way ("通用规范/分页, 排序, 过滤"): `page`, `page_size`,
`sort=<field>&order=asc|desc` over the fields a resource allows, `filter[<field>]=…` and
`filter[date_from]`/`filter[date_to]` (ISO 8601) on the resource's date. Each resource declares a
`ListSpec`; its query model is built from it, so the OpenAPI document lists every parameter."""

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from .envelope import Pagination

MAX_PAGE = 2**31 - 1
MAX_PAGE_SIZE = 100


class Order(str, Enum):
    ASC = "asc"
    DESC = "desc"


@dataclass(frozen=True)
class ListSpec:
    """What a list endpoint lets callers sort and filter by. `sort` and `filters` map public names
    to columns; a filter's python type validates its value (str, int, an Enum, bool…)."""

    name: str  # names the generated query model in the document
    sort: dict[str, Any]
    default_sort: str
    default_order: Order = Order.DESC
    filters: dict[str, tuple[Any, type]] = field(default_factory=dict)
    date_column: Any = None

    @cached_property
    def query_model(self) -> type[BaseModel]:
        fields: dict[str, Any] = {
            "page": (int, Field(1, ge=1, le=MAX_PAGE)),
            "page_size": (int, Field(20, ge=1, le=MAX_PAGE_SIZE)),
            "sort": (Literal[tuple(self.sort)], Field(self.default_sort)),  # type: ignore[misc]
            "order": (Order, Field(self.default_order)),
        }
        for name, (_, value_type) in self.filters.items():
            fields[f"filter_{name}"] = (value_type | None, Field(None, alias=f"filter[{name}]"))
        if self.date_column is not None:
            fields["date_from"] = (date | datetime | None, Field(None, alias="filter[date_from]"))
            fields["date_to"] = (date | datetime | None, Field(None, alias="filter[date_to]"))
        return create_model(
            f"{self.name}ListQuery", __config__=ConfigDict(populate_by_name=True, extra="ignore"), **fields
        )

    def apply(self, stmt: Select, query: BaseModel) -> Select:
        """`stmt` filtered and ordered as `query` (an instance of `query_model`) asks."""
        for name, (column, _) in self.filters.items():
            value = getattr(query, f"filter_{name}")
            if value is not None:
                stmt = stmt.where(column == (value.value if isinstance(value, Enum) else value))
        if self.date_column is not None:
            if query.date_from is not None:
                stmt = stmt.where(self.date_column >= _start(query.date_from))
            if query.date_to is not None:
                stmt = stmt.where(self.date_column < _end(query.date_to))
        column = self.sort[query.sort]
        ordering = column.asc() if query.order is Order.ASC else column.desc()
        return stmt.order_by(ordering)


_LATEST = datetime.max.replace(tzinfo=UTC)


def _start(value: date | datetime) -> datetime:
    """The instant in UTC: PostgreSQL refuses offsets beyond ±15:59, which ISO 8601 allows.
    Instants past what a datetime holds once in UTC are clamped to its limits."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time(), tzinfo=UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return _LATEST if value.year > 1 else datetime.min.replace(tzinfo=UTC)


def _end(value: date | datetime) -> datetime:
    """`date_to` includes its whole day when it is a date, the instant itself when a time."""
    start = _start(value)
    try:
        return start + (timedelta(microseconds=1) if isinstance(value, datetime) else timedelta(days=1))
    except OverflowError:  # the last day a date can name
        return _LATEST


def paginate(session: Session, stmt: Select, query: BaseModel, tiebreak: Any = None) -> tuple[list[Any], Pagination]:
    """One page of `stmt` (already filtered and ordered) and the pagination beside it."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    if tiebreak is not None:
        stmt = stmt.order_by(tiebreak)
    rows = session.scalars(stmt.limit(query.page_size).offset((query.page - 1) * query.page_size)).all()
    pages = math.ceil(total / query.page_size) if total else 0
    return list(rows), Pagination(page=query.page, page_size=query.page_size, total_items=total, total_pages=pages)
