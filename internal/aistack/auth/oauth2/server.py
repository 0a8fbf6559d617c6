"""The authorization server: Authlib's Flask server with the authorization-code grant (PKCE,
S256 only, mandatory for public clients), the refresh-token grant (rotation), RFC 7009
revocation and RFC 7662 introspection, over `OAuth2Store`. Access and refresh tokens are opaque
random strings."""

from dataclasses import dataclass

from authlib.common.security import generate_token
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import InvalidRequestError, grants
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from injector import inject, singleton

from config import Settings
from internal.extension.database import utcnow
from internal.aistack.systems import SYSTEMS

from .models import OAuth2Token
from .store import OAuth2Store, RegisteredClient

CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
ACCESS_TOKEN_LENGTH = 48
REFRESH_TOKEN_LENGTH = 64


class S256CodeChallenge(CodeChallenge):
    """PKCE with S256 only ("plain" protects nothing a stolen code does not already reveal);
    a public client's authorization request must carry a challenge, not just its exchange."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if grant.request.client.is_public and not data.get("code_challenge"):
            raise InvalidRequestError("Public clients must use PKCE: missing 'code_challenge'.")
        if data.get("code_challenge") and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256.")
        super().validate_code_challenge(grant, redirect_uri)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    @property
    def store(self) -> OAuth2Store:
        return self.server.store

    def save_authorization_code(self, code, request):
        self.store.save_code(code, request.client, request.user, request.payload.redirect_uri or "", request.scope, request.payload.data)

    def query_authorization_code(self, code, client):
        return self.store.find_code(code, client)

    def delete_authorization_code(self, authorization_code):
        self.store.consume_code(authorization_code)

    def authenticate_user(self, authorization_code):
        return self.store.account_of(authorization_code.account_id)


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token):
        return self.server.store.find_refresh_token(refresh_token)

    def authenticate_user(self, refresh_token):
        return self.server.store.account_of(refresh_token.account_id)

    def revoke_old_credential(self, refresh_token):
        self.server.store.rotate(refresh_token)


class TokenRevocationEndpoint(RevocationEndpoint):
    CLIENT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def query_token(self, token_string, token_type_hint):
        # The hint only speeds up a lookup elsewhere; one query finds either kind here.
        found = self.server.store.find_token(token_string)
        return found[0] if found else None

    def revoke_token(self, token, request):
        found = self.server.store.find_token(request.form["token"])
        self.server.store.revoke(token, refresh=bool(found and found[1]))


@dataclass(frozen=True)
class PresentedToken:
    """A token row as the string presented: its access token or its refresh token, each with its
    own expiry and revocation."""

    row: OAuth2Token
    refresh: bool

    def is_expired(self) -> bool:
        if not self.refresh:
            return self.row.is_expired()
        return self.row.refresh_expires_at is None or self.row.refresh_expires_at <= utcnow()

    def is_revoked(self) -> bool:
        return (self.row.refresh_revoked_at if self.refresh else self.row.access_revoked_at) is not None


class TokenIntrospectionEndpoint(IntrospectionEndpoint):
    """RFC 7662 for confidential clients, about their own tokens: anything else (unknown, expired,
    revoked, another client's) is just {"active": false}."""

    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def query_token(self, token_string, token_type_hint):
        found = self.server.store.find_token(token_string)
        return PresentedToken(*found) if found else None

    def check_permission(self, token, client, request):
        return token.row.check_client(client)

    def introspect_token(self, token):
        row = token.row
        expires_at = row.refresh_expires_at if token.refresh else row.access_expires_at
        return {
            "active": True,
            "scope": row.scope,
            "client_id": self.server.store.client_id_of(row),
            "token_type": "refresh_token" if token.refresh else "Bearer",
            "sub": str(row.account_id),
            "iat": int(row.created_at.timestamp()),
            "exp": int(expires_at.timestamp()),
        }


@singleton
class OAuth2Server(AuthorizationServer):
    @inject
    def __init__(self, settings: Settings, store: OAuth2Store):
        super().__init__()
        self.store = store
        self.scopes_supported = [system.name for system in SYSTEMS]
        access_expires_in = settings.aistack.aistack_token_expires_in
        self.register_token_generator(
            "default",
            BearerTokenGenerator(
                lambda **_: generate_token(ACCESS_TOKEN_LENGTH),
                lambda **_: generate_token(REFRESH_TOKEN_LENGTH),
                lambda client, grant_type: access_expires_in,
            ),
        )
        self.register_grant(AuthorizationCodeGrant, [S256CodeChallenge(required=True)])
        self.register_grant(RefreshTokenGrant)
        self.register_endpoint(TokenRevocationEndpoint)
        self.register_endpoint(TokenIntrospectionEndpoint)

    def query_client(self, client_id: str) -> RegisteredClient | None:
        return self.store.query_client(client_id)

    def save_token(self, token, request):
        if request.authorization_code is not None:
            grant_id = request.authorization_code.id
        else:
            grant_id = request.refresh_token.grant_id
        self.store.add_token(token, request.client, request.user, grant_id)
