"""Page requests and the `{list, paginator}` shape of paginated responses."""

from math import ceil
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session


# The largest page number taken: its offset still fits the databases' 64-bit integers.
MAX_PAGE = 2**31 - 1


class PageReq(BaseModel):
    """Query parameters of a list endpoint; page_size range 1-50 unless a subclass narrows it."""

    current_page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(20, ge=1, le=50)


class WidePageReq(PageReq):
    """The few endpoints whose documented page_size range is 10-50."""

    page_size: int = Field(20, ge=10, le=50)


class Paginator(BaseModel):
    current_page: int
    page_size: int
    total_page: int
    total_record: int


def paginate(session: Session, stmt: Select, req: PageReq) -> tuple[list[Any], Paginator]:
    """Run `stmt` for one page; the count query reuses its filters without its ordering."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.scalars(stmt.limit(req.page_size).offset((req.current_page - 1) * req.page_size)).all()
    paginator = Paginator(
        current_page=req.current_page,
        page_size=req.page_size,
        total_page=ceil(total / req.page_size) if total else 0,
        total_record=total,
    )
    return list(rows), paginator


def page_body(items: list[Any], paginator: Paginator) -> dict:
    return {"list": items, "paginator": paginator.model_dump()}
