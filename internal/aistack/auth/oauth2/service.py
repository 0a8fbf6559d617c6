"""Clients an account registers with the authorization server (RFC 7591's fields): a secret
shown once and kept hashed; deleting a client deletes its codes and tokens at once."""

import secrets
import uuid
from dataclasses import dataclass

from injector import inject
from pydantic import BaseModel
from sqlalchemy import delete, select

from internal.aistack.gateway.envelope import Pagination
from internal.aistack.gateway.listing import ListSpec, paginate
from internal.exception import NotFoundException
from internal.service.base_service import BaseService

from .models import OAuth2AuthorizationCode, OAuth2Client, OAuth2Token
from .schemas import OAuth2ClientReq
from .store import PUBLIC_CLIENT, OAuth2Store

CLIENT_LISTING = ListSpec(
    name="OAuth2Client",
    sort={"created_at": OAuth2Client.created_at, "client_name": OAuth2Client.client_name},
    default_sort="created_at",
    date_column=OAuth2Client.created_at,
)
CLIENT_NOT_FOUND = "OAuth2客户端不存在"


@inject
@dataclass
class OAuth2ClientService(BaseService):
    store: OAuth2Store

    def register(self, account_id: uuid.UUID, req: OAuth2ClientReq) -> tuple[OAuth2Client, str | None]:
        """The new client and its secret (None for a public client)."""
        secret = None if req.token_endpoint_auth_method == PUBLIC_CLIENT else secrets.token_urlsafe(48)
        client = OAuth2Client(
            account_id=account_id,
            client_id=secrets.token_urlsafe(24),
            client_secret_hash=self.store.digest(secret) if secret else None,
            client_name=req.client_name,
            redirect_uris=list(dict.fromkeys(req.redirect_uris)),
            scope=req.scope,
            token_endpoint_auth_method=req.token_endpoint_auth_method,
        )
        with self.db.auto_commit():
            self.db.session.add(client)
        return client, secret

    def list(self, account_id: uuid.UUID, query: BaseModel) -> tuple[list[OAuth2Client], Pagination]:
        stmt = CLIENT_LISTING.apply(select(OAuth2Client).where(OAuth2Client.account_id == account_id), query)
        return paginate(self.db.session, stmt, query, tiebreak=OAuth2Client.id)

    def delete(self, account_id: uuid.UUID, client_id: str) -> None:
        """Deletes the account's client with every code and token it holds: its tokens stop
        working at once."""
        client = self.db.session.scalar(
            select(OAuth2Client).where(OAuth2Client.client_id == client_id, OAuth2Client.account_id == account_id)
        )
        if client is None:
            raise NotFoundException(CLIENT_NOT_FOUND)
        with self.db.auto_commit():
            self.db.session.execute(delete(OAuth2Token).where(OAuth2Token.oauth2_client_id == client.id))
            self.db.session.execute(delete(OAuth2AuthorizationCode).where(OAuth2AuthorizationCode.oauth2_client_id == client.id))
            self.db.session.delete(client)
