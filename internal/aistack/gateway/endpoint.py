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
    error_model: type[BaseModel] = Failure,
    extra_errors: tuple[int, ...] = (),
    tags: tuple[str, ...] = (),
) -> Callable:
    """`listing` makes a list route: its query (page, sort, order, filter[…]) is parsed into
    `query` and the documented answer is a page of `resp`. `status` is the success status (201
    for creations). `raw_response` names the media type of a route answering without the
    envelope (streams, downloads); `error_model` the documented error body of a route that speaks
    another protocol's errors (OAuth2's token endpoint), `extra_errors` statuses it may answer
    besides the gateway's (503 when a model is needed and none is configured). `form` documents
    a multipart body's fields (see `endpoint`)."""
    if listing is not None and query is None:  # a resource's own query model extends listing.query_model
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
            error_model=error_model,
            doc=SYSTEM_DOCS[system],
            success_status=status,
            # Every caller has a rate (gateway/hooks.py); signed-in ones may lack a system's scope.
            extra_errors=((429,) if public else (403, 429)) + extra_errors,
            security={} if public else SECURITY,
            tags=tags,
        )(func)
        handle.aistack_system = system
        handle.aistack_public = public
        return handle

    return decorate
