"""An HTTP client that checks every hop's addresses before it connects, and connects only to them.

Each hop resolves the host once, refuses it when any address is off limits, and then sends the
request to the checked address itself (Host header and TLS SNI carry the name), so a second DNS
answer cannot swap in another target. Redirects are followed here, one checked hop at a time.
"""

import codecs
import ipaddress
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from .errors import OutboundRequestFailed, OutboundRequestRefused
from .policy import IPAddress, OutboundPolicy

Resolver = Callable[[str], Sequence[IPAddress]]

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Framing and routing headers are the client's to set; a caller's copy could contradict them.
_CLIENT_CONTROLLED_HEADERS = frozenset({"host", "connection", "content-length", "transfer-encoding"})
# RFC 6265 cookie-octets other than letters and digits; everything else is percent-encoded.
_COOKIE_SAFE = "!#$&'()*+-./:<=>?@[]^_`{|}~"


def resolve_host(hostname: str) -> list[IPAddress]:
    """Every address the system resolver gives for `hostname`, in its order, without repeats."""
    addresses: list[IPAddress] = []
    for *_, sockaddr in socket.getaddrinfo(hostname, None, type=socket.SOCK_STREAM):
        address = ipaddress.ip_address(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


@dataclass(frozen=True)
class GuardedResponse:
    status_code: int
    headers: httpx.Headers
    content: bytes
    url: str
    truncated: bool  # the body was longer than the policy's max_response_bytes and was cut there
    encoding: str = "utf-8"

    @property
    def text(self) -> str:
        return self.content.decode(self.encoding, errors="replace")


@dataclass(frozen=True)
class _Body:
    json: Any = None
    data: Any = None

    def as_httpx_kwargs(self) -> dict[str, Any]:
        if self.json is not None:
            return {"json": self.json}
        if isinstance(self.data, (str, bytes)):
            return {"content": self.data}
        if self.data is not None:
            return {"data": self.data}
        return {}


class GuardedHttpClient:
    """`resolver` and `transport` are injectable so tests can keep every packet on the machine."""

    def __init__(
        self,
        policy: OutboundPolicy,
        *,
        resolver: Resolver = resolve_host,
        transport: httpx.BaseTransport | None = None,
    ):
        self.policy = policy
        self._resolve = resolver
        # No keep-alive (here and by `Connection: close` on each request, whatever the transport):
        # pooled connections are keyed by address, and a reused TLS connection would carry one
        # host's request under another host's SNI and certificate. No proxies from the
        # environment: a proxy would connect to the name itself, after our check.
        self._http = httpx.Client(
            transport=transport or httpx.HTTPTransport(limits=httpx.Limits(max_keepalive_connections=0)),
            trust_env=False,
            follow_redirects=False,
        )

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        cookies: Mapping[str, str] | None = None,
        json: Any = None,
        data: Any = None,
    ) -> GuardedResponse:
        deadline = time.monotonic() + self.policy.timeout
        target = _parse_url(url)
        if params:
            target = target.copy_merge_params(dict(params))
        sent_headers = {k: v for k, v in (headers or {}).items() if k.lower() not in _CLIENT_CONTROLLED_HEADERS}
        if cookies:
            sent_headers["Cookie"] = "; ".join(f"{k}={quote(str(v), safe=_COOKIE_SAFE)}" for k, v in cookies.items())
        body = _Body(json=json, data=data)
        method = method.upper()

        for _ in range(self.policy.max_redirects + 1):
            response = self._send_hop(method, target, sent_headers, body, deadline)
            location = response.headers.get("location")
            if response.status_code not in _REDIRECT_STATUSES or not location:
                return self._read(response, target, deadline)
            response.close()
            next_target = _parse_url(str(target.join(location)))
            if _origin(next_target) != _origin(target):
                # Headers and cookies the caller set (credentials, often) stay with their origin.
                sent_headers = {}
            if response.status_code == 303 or (response.status_code in (301, 302) and method == "POST"):
                method, body = "GET", _Body()
            target = next_target
        raise OutboundRequestRefused(f"refused {url}: more than {self.policy.max_redirects} redirects")

    def close(self) -> None:
        self._http.close()

    def _checked_addresses(self, target: httpx.URL) -> list[IPAddress]:
        host = target.raw_host.decode("ascii")
        try:
            addresses = [ipaddress.ip_address(host)]
        except ValueError:
            try:
                addresses = list(self._resolve(host))
            except (OSError, UnicodeError) as exc:
                raise OutboundRequestFailed(f"could not resolve {host}: {exc}") from None
        if not addresses:
            raise OutboundRequestFailed(f"could not resolve {host}")
        for address in addresses:
            reason = self.policy.refusal_reason(host, address)
            if reason:
                raise OutboundRequestRefused(f"refused {host}: {reason}")
        return addresses

    def _send_hop(self, method: str, target: httpx.URL, headers: dict, body: _Body, deadline: float) -> httpx.Response:
        addresses = self._checked_addresses(target)
        extensions = {"sni_hostname": target.raw_host.decode("ascii")} if target.scheme == "https" else {}
        connect_error: Exception | None = None
        for address in addresses:
            request = self._http.build_request(
                method,
                target.copy_with(host=str(address)),
                headers={**headers, "Host": target.netloc.decode("ascii"), "Connection": "close"},
                timeout=_remaining(deadline, self.policy.timeout),
                extensions=extensions,
                **body.as_httpx_kwargs(),
            )
            try:
                return self._http.send(request, stream=True)
            except httpx.ConnectError as exc:
                connect_error = exc  # try the host's next checked address
            except httpx.TimeoutException:
                raise OutboundRequestFailed(f"{target} timed out after {self.policy.timeout} seconds") from None
            except httpx.HTTPError as exc:
                raise OutboundRequestFailed(f"request to {target} failed: {exc}") from None
        raise OutboundRequestFailed(f"could not connect to {target.host}: {connect_error}")

    def _read(self, response: httpx.Response, target: httpx.URL, deadline: float) -> GuardedResponse:
        limit = self.policy.max_response_bytes
        content, truncated = bytearray(), False
        try:
            for chunk in response.iter_bytes():
                content += chunk
                if len(content) > limit:
                    del content[limit:]
                    truncated = True
                    break
                if time.monotonic() > deadline:
                    raise OutboundRequestFailed(f"{target} timed out after {self.policy.timeout} seconds")
        except httpx.TimeoutException:
            raise OutboundRequestFailed(f"{target} timed out after {self.policy.timeout} seconds") from None
        except httpx.HTTPError as exc:
            raise OutboundRequestFailed(f"reading the response of {target} failed: {exc}") from None
        finally:
            response.close()
        return GuardedResponse(
            status_code=response.status_code,
            headers=response.headers,
            content=bytes(content),
            url=str(target),
            truncated=truncated,
            encoding=_known_encoding(response.charset_encoding),
        )


def _parse_url(url: str) -> httpx.URL:
    try:
        target = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise OutboundRequestRefused(f"refused {url!r}: not a valid URL") from None
    if target.scheme not in ("http", "https"):
        raise OutboundRequestRefused(f"refused {url}: only http and https are allowed")
    if not target.host:
        raise OutboundRequestRefused(f"refused {url}: the URL has no host")
    return target


def _origin(url: httpx.URL) -> tuple[str, bytes, int | None]:
    default_port = 443 if url.scheme == "https" else 80
    return url.scheme, url.raw_host.lower(), url.port or default_port


def _remaining(deadline: float, timeout: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise OutboundRequestFailed(f"timed out after {timeout} seconds")
    return remaining


def _known_encoding(charset: str | None) -> str:
    if charset:
        try:
            return codecs.lookup(charset).name
        except LookupError:
            pass
    return "utf-8"
