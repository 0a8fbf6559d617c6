"""`@aistack_endpoint` declares an AI Stack route once: its system, what it takes and returns,
whether it is public. Parsing and the document come from the platform's `@endpoint`; the
gateway (`hooks.py`) authenticates and counts the request."""

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from internal.handler.endpoint import FilePart, endpoint
from internal.middleware import AuthKind
from internal.schema.common import Empty

from .docs import SECURITY, SYSTEM_DOCS
from .envelope import Failure, Page, Success
from .listing import ListSpec


def aistack_endpoint(
    system: str,
    *,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    listing: ListSpec | None = None,
    file: FilePart | None = None,
    form: type[BaseModel] | None = None,
    resp: Any = Empty,
    status: int = 200,
    public: bool = False,
    raw_response: str | None = None,
    tags: tuple[str, ...] = (),
) -> Callable:
    """`listing` makes a list route: its query (page, sort, order, filter[…]) is parsed into
    `query` and the documented answer is a page of `resp`. `status` is the success status (201
    for creations). `raw_response` names the media type of a route answering without the
    envelope (streams, downloads). `form` documents a multipart body's fields (see `endpoint`)."""
    if listing is not None:
        query = listing.query_model
    documented = Page[resp] if listing is not None else Success[resp]

    def decorate(func: Callable) -> Callable:
        handle = endpoint(
            auth=AuthKind.NONE,  # the platform's middleware leaves AI Stack routes to the gateway
            body=body,
            query=query,
            file=file,
            form=form,
            resp=Empty if raw_response else documented,
            raw_response=raw_response,
            enveloped=False,
            error_model=Failure,
            doc=SYSTEM_DOCS[system],
            success_status=status,
            extra_errors=() if public else (403, 429),
            security={} if public else SECURITY,
            tags=tags,
        )(func)
        handle.aistack_system = system
        handle.aistack_public = public
        return handle

    return decorate
