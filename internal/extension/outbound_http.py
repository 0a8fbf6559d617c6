"""The guarded HTTP client every request sent on a user's behalf goes through, built from settings."""

from config import Settings
from pkg.guarded_http import GuardedHttpClient, OutboundPolicy


def create_guarded_http_client(settings: Settings) -> GuardedHttpClient:
    outbound = settings.outbound
    policy = OutboundPolicy(
        allow_hosts=tuple(outbound.allow_hosts),
        timeout=outbound.outbound_timeout,
        max_response_bytes=outbound.outbound_max_response_bytes,
        max_redirects=outbound.outbound_max_redirects,
    )
    return GuardedHttpClient(policy)
