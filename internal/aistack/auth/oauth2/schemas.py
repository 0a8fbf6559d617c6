"""Request and response shapes of the OAuth2 routes that answer the AI Stack envelope: client
registration (RFC 7591's field names) and the consent step of the authorize endpoint."""

import ipaddress
from typing import Any, Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, Field, RootModel, StrictBool, StringConstraints

from internal.aistack.gateway.envelope import Failure, IsoTime, RowResp
from internal.aistack.systems import SYSTEMS_BY_NAME
from internal.schema.common import RequestModel, trimmed

AuthMethod = Literal["client_secret_basic", "client_secret_post", "none"]
MAX_REDIRECT_URIS = 10


def _check_redirect_uri(value: str) -> str:
    """https, or http to this machine only (RFC 8252 §7.3, native apps and development); no
    fragment (RFC 6749 §3.1.2)."""
    parts = urlsplit(value)
    if parts.fragment or "#" in value:
        raise ValueError("不能包含片段(#)")
    if parts.scheme == "https" and parts.hostname:
        return value
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return value
    raise ValueError("必须是https地址，或指向本机(localhost/127.0.0.1)的http地址")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_scope(value: str) -> str:
    names = value.split()
    if not names:
        raise ValueError("至少包含一个系统")
    unknown = [name for name in names if name not in SYSTEMS_BY_NAME]
    if unknown:
        raise ValueError(f"未知的系统: {' '.join(unknown)}；可选: {' '.join(SYSTEMS_BY_NAME)}")
    return " ".join(dict.fromkeys(names))


RedirectUri = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), AfterValidator(_check_redirect_uri)]
# Space-separated system names (RFC 6749 §3.3): the systems the client's tokens may call.
Scope = Annotated[str, StringConstraints(max_length=255), AfterValidator(_check_scope)]


class OAuth2ClientReq(RequestModel):
    client_name: trimmed(255, 1)
    redirect_uris: list[RedirectUri] = Field(min_length=1, max_length=MAX_REDIRECT_URIS)
    scope: Scope = Field(examples=["rag chat"])
    token_endpoint_auth_method: AuthMethod = "client_secret_basic"


class OAuth2ClientResp(RowResp):
    client_id: str
    client_name: str
    redirect_uris: list[str]
    scope: str
    token_endpoint_auth_method: AuthMethod
    grant_types: list[str] = ["authorization_code", "refresh_token"]
    response_types: list[str] = ["code"]
    created_at: IsoTime


class OAuth2ClientCreatedResp(OAuth2ClientResp):
    # Shown this once: only its keyed hash is kept. None for a public client.
    client_secret: str | None


def _ascii(max_length: int, pattern: str = r"^[ -~]*$") -> Any:
    """RFC 6749 Appendix A: every authorization request parameter is printable ASCII (VSCHAR),
    some narrower still."""
    return Annotated[str, StringConstraints(max_length=max_length, pattern=pattern)]


ResponseType = _ascii(32, r"^[A-Za-z0-9_ ]*$")
# scope-token = 1*NQCHAR: printable ASCII but the double quote and the backslash.
ScopeParam = _ascii(255, r"^[ !#-\[\]-~]*$")
ChallengeMethod = _ascii(16, r"^[A-Za-z0-9_-]*$")


class AuthorizeQuery(RequestModel):
    """The authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3); Authlib checks the protocol."""

    response_type: ResponseType | None = Field(None, examples=["code"])
    client_id: _ascii(64) | None = None
    redirect_uri: _ascii(2000) | None = None
    scope: ScopeParam | None = Field(None, examples=["rag"])
    state: _ascii(500) | None = None
    code_challenge: _ascii(128) | None = None
    code_challenge_method: ChallengeMethod | None = Field(None, examples=["S256"])


class ScopeItem(BaseModel):
    scope: str
    title: str


class ConsentResp(BaseModel):
    """What a consent screen shows: who asks, for which systems, where the answer goes."""

    client_id: str
    client_name: str
    scopes: list[ScopeItem]
    redirect_uri: str
    state: str | None


class AuthorizeDecisionReq(RequestModel):
    approve: StrictBool


class AuthorizeDecisionResp(BaseModel):
    # Where the user agent goes next: the client's redirect_uri with code and state, or error=access_denied.
    redirect_to: str


class OAuth2ErrorResp(BaseModel):
    """An RFC 6749 §5.2 error of the token and revocation endpoints."""

    error: str
    error_description: str | None = None
    error_uri: str | None = None


# The token and revocation endpoints answer OAuth2's errors; the gateway's own (429) the envelope.
OAuth2ErrorOrFailure = RootModel[OAuth2ErrorResp | Failure]
