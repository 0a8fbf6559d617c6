"""Where Authlib's grants and endpoints read and write the server's state: clients, codes and
tokens found by the keyed hash of the secret presented, each write one short transaction.
A secret's single use (a code, a refresh token) is claimed with a conditional UPDATE, so two
concurrent requests presenting it cannot both succeed."""

import hmac
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from authlib.oauth2.rfc6749 import ClientMixin, InvalidGrantError, list_to_scope, scope_to_list
from injector import inject
from sqlalchemy import delete, func, or_, select, update

from config import Settings
from internal.extension.database import utcnow
from internal.model import Account
from internal.service.account_service import AccountService
from internal.service.base_service import BaseService
from pkg.secret_box import keyed_digest

from .models import OAuth2AuthorizationCode, OAuth2Client, OAuth2Token

PUBLIC_CLIENT = "none"
# How long expired codes and tokens are kept before the periodic purge deletes them.
PURGE_AFTER = timedelta(days=1)


@dataclass
class RegisteredClient(ClientMixin):
    """A stored client as Authlib asks about it; checking its secret needs the server's key."""

    row: OAuth2Client
    digest: Callable[[str], str]  # the store's keyed hash

    @property
    def id(self) -> uuid.UUID:
        return self.row.id

    @property
    def is_public(self) -> bool:
        return self.row.token_endpoint_auth_method == PUBLIC_CLIENT

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> str | None:
        # With several registered URIs the request must name one (RFC 6749 §3.1.2.3).
        uris = self.row.redirect_uris
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """The requested systems, all of them registered for the client; none asked: all the
        client's. None (invalid_scope) when any requested system is not the client's."""
        registered = scope_to_list(self.row.scope)
        if not scope:
            return self.row.scope
        requested = scope_to_list(scope)
        if not set(requested) <= set(registered):
            return None
        return list_to_scope([s for s in registered if s in requested])

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.row.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        stored = self.row.client_secret_hash
        return stored is not None and hmac.compare_digest(stored, self.digest(client_secret))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.row.token_endpoint_auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


@inject
@dataclass
class OAuth2Store(BaseService):
    settings: Settings
    account_service: AccountService

    def digest(self, secret: str) -> str:
        return keyed_digest(self.settings.oauth2_token_hash_key, secret)

    # --- clients --------------------------------------------------------------------------

    def query_client(self, client_id: str) -> RegisteredClient | None:
        row = self.db.session.scalar(select(OAuth2Client).where(OAuth2Client.client_id == client_id))
        return RegisteredClient(row, self.digest) if row is not None else None

    def client_id_of(self, token: OAuth2Token) -> str:
        """The public client_id of the client a token was issued to."""
        return self.db.session.scalar(select(OAuth2Client.client_id).where(OAuth2Client.id == token.oauth2_client_id))

    # --- authorization codes --------------------------------------------------------------

    def save_code(self, code: str, client: RegisteredClient, account: Account, redirect_uri: str, scope: str, payload) -> None:
        row = OAuth2AuthorizationCode(
            oauth2_client_id=client.id,
            account_id=account.id,
            code_hash=self.digest(code),
            redirect_uri=redirect_uri,
            scope=scope,
            code_challenge=payload.get("code_challenge"),
            code_challenge_method=payload.get("code_challenge_method"),
            expires_at=utcnow() + timedelta(seconds=self.settings.aistack.aistack_oauth2_code_expires_in),
        )
        with self.db.auto_commit():
            self.db.session.add(row)

    def find_code(self, code: str, client: RegisteredClient) -> OAuth2AuthorizationCode | None:
        """The unused, unexpired code issued to `client`. A code presented again after its use
        revokes every token issued from it: someone else holds a copy (RFC 6749 §4.1.2)."""
        row = self.db.session.scalar(select(OAuth2AuthorizationCode).where(OAuth2AuthorizationCode.code_hash == self.digest(code)))
        if row is None or row.oauth2_client_id != client.id:
            return None
        if row.used_at is not None:
            self.revoke_grant(row.id)
            return None
        if row.expires_at <= utcnow():
            return None
        return row

    def consume_code(self, row: OAuth2AuthorizationCode) -> None:
        """Marks the code used and commits the token issued for it, or neither."""
        claimed = self.db.session.execute(
            update(OAuth2AuthorizationCode)
            .where(OAuth2AuthorizationCode.id == row.id, OAuth2AuthorizationCode.used_at.is_(None))
            .values(used_at=utcnow())
        )
        self._commit_if(claimed.rowcount == 1)

    def account_of(self, account_id: uuid.UUID) -> Account | None:
        return self.account_service.get_account(account_id)

    # --- tokens ---------------------------------------------------------------------------

    def add_token(self, token: dict, client: RegisteredClient, account: Account, grant_id: uuid.UUID) -> None:
        """Adds the token the grant generated to the session; the grant's last step commits it."""
        now = utcnow()
        refresh_token = token.get("refresh_token")
        self.db.session.add(
            OAuth2Token(
                oauth2_client_id=client.id,
                account_id=account.id,
                grant_id=grant_id,
                access_token_hash=self.digest(token["access_token"]),
                refresh_token_hash=self.digest(refresh_token) if refresh_token else None,
                scope=token.get("scope", ""),
                access_expires_at=now + timedelta(seconds=token["expires_in"]),
                refresh_expires_at=(
                    now + timedelta(seconds=self.settings.aistack.aistack_oauth2_refresh_expires_in) if refresh_token else None
                ),
                created_at=now,
            )
        )

    def find_refresh_token(self, refresh_token: str) -> OAuth2Token | None:
        """The live token row of `refresh_token`. One presented after it was rotated away
        revokes its whole grant: the old copy is in someone else's hands (RFC 9700 §4.14.2)."""
        row = self.db.session.scalar(select(OAuth2Token).where(OAuth2Token.refresh_token_hash == self.digest(refresh_token)))
        if row is None:
            return None
        if row.refresh_revoked_at is not None:
            self.revoke_grant(row.grant_id)
            return None
        if row.refresh_expires_at is None or row.refresh_expires_at <= utcnow():
            return None
        return row

    def rotate(self, old: OAuth2Token) -> None:
        """Revokes the refresh token (and its access token) just used, and commits the new pair."""
        now = utcnow()
        claimed = self.db.session.execute(
            update(OAuth2Token)
            .where(OAuth2Token.id == old.id, OAuth2Token.refresh_revoked_at.is_(None))
            .values(refresh_revoked_at=now, access_revoked_at=func.coalesce(OAuth2Token.access_revoked_at, now))
        )
        self._commit_if(claimed.rowcount == 1)

    def find_token(self, token: str) -> tuple[OAuth2Token, bool] | None:
        """The row holding `token` as its access or refresh token, and whether it is the refresh one."""
        digest = self.digest(token)
        row = self.db.session.scalar(
            select(OAuth2Token).where(or_(OAuth2Token.access_token_hash == digest, OAuth2Token.refresh_token_hash == digest))
        )
        if row is None:
            return None
        return row, row.refresh_token_hash == digest

    def revoke(self, row: OAuth2Token, refresh: bool) -> None:
        """RFC 7009 §2.1: revoking a refresh token revokes the access token issued with it."""
        now = utcnow()
        with self.db.auto_commit():
            if row.access_revoked_at is None:
                row.access_revoked_at = now
            if refresh and row.refresh_revoked_at is None:
                row.refresh_revoked_at = now

    def revoke_grant(self, grant_id: uuid.UUID) -> None:
        now = utcnow()
        with self.db.auto_commit():
            self.db.session.execute(
                update(OAuth2Token)
                .where(OAuth2Token.grant_id == grant_id)
                .values(
                    access_revoked_at=func.coalesce(OAuth2Token.access_revoked_at, now),
                    refresh_revoked_at=func.coalesce(OAuth2Token.refresh_revoked_at, now),
                )
            )

    def live_access_token(self, access_token: str) -> OAuth2Token | None:
        """The unexpired, unrevoked token row of `access_token` (its client still registered:
        deleting a client deletes its tokens)."""
        row = self.db.session.scalar(select(OAuth2Token).where(OAuth2Token.access_token_hash == self.digest(access_token)))
        if row is None or row.is_revoked() or row.is_expired():
            return None
        return row

    def purge_expired(self, now: datetime | None = None) -> tuple[int, int]:
        """Deletes codes and tokens that expired more than PURGE_AFTER ago (a refresh token keeps
        its row alive until it expires too); returns (codes, tokens) deleted. Kept that long, an
        expired code's replay is still recognised and revokes its grant."""
        cutoff = (now or utcnow()) - PURGE_AFTER
        with self.db.auto_commit():
            codes = self.db.session.execute(delete(OAuth2AuthorizationCode).where(OAuth2AuthorizationCode.expires_at < cutoff))
            tokens = self.db.session.execute(
                delete(OAuth2Token).where(
                    OAuth2Token.access_expires_at < cutoff,
                    or_(OAuth2Token.refresh_expires_at.is_(None), OAuth2Token.refresh_expires_at < cutoff),
                )
            )
        return codes.rowcount, tokens.rowcount

    def _commit_if(self, claimed: bool) -> None:
        if not claimed:
            self.db.session.rollback()
            raise InvalidGrantError("The grant was already used.")
        self.db.session.commit()
