"""What the OAuth2 authorization server keeps: registered clients, authorization codes and
tokens. Secrets are kept only as keyed hashes (HMAC-SHA256): a database dump yields no client
secret, code or token that works."""

import uuid
from datetime import datetime

from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, TokenMixin
from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from internal.extension.database import JSONType, UTCDateTime, db, utcnow


class OAuth2Client(db.Model):
    """A client application an account registered; `client_secret_hash` is None for a public
    client (token_endpoint_auth_method `none`, PKCE mandatory)."""

    __tablename__ = "aistack_oauth2_client"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    client_secret_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    client_name: Mapped[str] = mapped_column(String(255))
    redirect_uris: Mapped[list] = mapped_column(JSONType, default=list)
    scope: Mapped[str] = mapped_column(String(255))
    token_endpoint_auth_method: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OAuth2AuthorizationCode(db.Model, AuthorizationCodeMixin):
    """A code the resource owner (`account_id`) granted a client; kept after its single use
    (`used_at`) so that a replay revokes the tokens issued for it (RFC 6749 §4.1.2)."""

    __tablename__ = "aistack_oauth2_code"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    oauth2_client_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("aistack_oauth2_client.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    redirect_uri: Mapped[str] = mapped_column(String(2000), default="")
    scope: Mapped[str] = mapped_column(String(255))
    code_challenge: Mapped[str | None] = mapped_column(String(128), nullable=True)
    code_challenge_method: Mapped[str | None] = mapped_column(String(16), nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


class OAuth2Token(db.Model, TokenMixin):
    """An access token and its refresh token, issued to a client for an account's systems
    (`scope`). `grant_id` is the authorization code the chain of refreshes started from."""

    __tablename__ = "aistack_oauth2_token"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    oauth2_client_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("aistack_oauth2_client.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"), index=True)
    grant_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    access_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    scope: Mapped[str] = mapped_column(String(255))
    access_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    refresh_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    access_revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    refresh_revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def check_client(self, client) -> bool:
        return self.oauth2_client_id == client.id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return int((self.access_expires_at - self.created_at).total_seconds())

    def is_expired(self) -> bool:
        return self.access_expires_at <= utcnow()

    def is_revoked(self) -> bool:
        return self.access_revoked_at is not None

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())
