"""The one HTTP client for requests sent on a user's behalf, with the outbound-request (SSRF) policy."""

from .client import GuardedHttpClient, GuardedResponse, Resolver, resolve_host
from .errors import OutboundRequestError, OutboundRequestFailed, OutboundRequestRefused
from .policy import CLOUD_METADATA_ADDRESSES, OutboundPolicy

__all__ = [
    "CLOUD_METADATA_ADDRESSES",
    "GuardedHttpClient",
    "GuardedResponse",
    "OutboundPolicy",
    "OutboundRequestError",
    "OutboundRequestFailed",
    "OutboundRequestRefused",
    "Resolver",
    "resolve_host",
]
