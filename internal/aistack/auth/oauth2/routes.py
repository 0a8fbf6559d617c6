"""The OAuth2 routes every system serves under `/api/oauth2/`: client registration (AI Stack
envelope, the caller's account owns the client), the authorize endpoint's consent step
(envelope; the resource owner is the signed-in user) and the token and revocation endpoints
(RFC 6749 / RFC 7009 bodies, client authentication by Authlib: public to the gateway)."""

import re
from dataclasses import dataclass

from authlib.oauth2 import OAuth2Error
from flask import Response
from injector import inject

from internal.aistack.gateway.auth import AIStackAuthenticator, current_account_id, current_caller
from internal.aistack.gateway.docs import SECURITY, SYSTEM_DOCS
from internal.aistack.gateway.endpoint import aistack_endpoint
from internal.aistack.gateway.envelope import ErrorCode, created, success
from internal.aistack.gateway.errors import AIStackException
from internal.aistack.systems import SYSTEMS_BY_NAME
from internal.exception import ForbiddenException

from .schemas import (
    AuthorizeDecisionReq,
    AuthorizeDecisionResp,
    AuthorizeQuery,
    ConsentResp,
    OAuth2ClientCreatedResp,
    OAuth2ClientReq,
    OAuth2ErrorOrFailure,
    OAuth2ClientResp,
    ScopeItem,
)
from .server import OAuth2Server
from .service import CLIENT_LISTING, OAuth2ClientService

TAGS = ("oauth2",)
# The request parameter an Authlib error is about, when its description does not quote one.
_ERROR_FIELDS = {
    "invalid_client": "client_id",
    "unauthorized_client": "response_type",
    "unsupported_response_type": "response_type",
    "invalid_scope": "scope",
}
_QUOTED_PARAM = re.compile(r"'([a-z_]+)'")


def _invalid_request(error: OAuth2Error) -> AIStackException:
    """An authorization request the server cannot answer by redirecting (unknown client, a
    redirect_uri not registered…): an envelope error naming the parameter, never a redirect."""
    description = error.get_error_description() or error.error
    quoted = _QUOTED_PARAM.search(description)
    if "redirect" in description.lower():
        field = "redirect_uri"
    else:
        field = quoted.group(1) if quoted else _ERROR_FIELDS.get(error.error, "request")
    return AIStackException(ErrorCode.INVALID_INPUT, f"授权请求无效({error.error}): {description}", 400, {field: description})


def _refuse_delegated() -> None:
    """Clients are managed with the account's own credentials: a client holding an OAuth2 token
    may list them, never register more or delete another's."""
    if current_caller().scopes is not None:
        raise ForbiddenException("OAuth2访问令牌不能注册或删除OAuth2客户端，请使用账号令牌或API密钥")


def _redirect_of(error: OAuth2Error) -> str:
    """The client's verified redirect URI carrying the error (RFC 6749 §4.1.2.1)."""
    _, _, headers = error()
    return dict(headers)["Location"]


@inject
@dataclass
class OAuth2Handler:
    server: OAuth2Server
    client_service: OAuth2ClientService
    authenticator: AIStackAuthenticator

    def register_client(self, body: OAuth2ClientReq) -> Response:
        _refuse_delegated()
        client, secret = self.client_service.register(current_account_id(), body)
        return created(OAuth2ClientCreatedResp.of(client, client_secret=secret))

    def list_clients(self, query) -> Response:
        clients, pagination = self.client_service.list(current_account_id(), query)
        return success([OAuth2ClientResp.of(client) for client in clients], pagination=pagination)

    def delete_client(self, client_id: str) -> Response:
        _refuse_delegated()
        self.client_service.delete(current_account_id(), client_id)
        return success({"client_id": client_id, "deleted": True})

    def consent(self) -> Response:
        account = self.authenticator.resource_owner()
        try:
            grant = self._consent_grant(account)
        except OAuth2Error as error:
            raise _invalid_request(error) from None
        request = grant.request
        return success(
            ConsentResp(
                client_id=request.client.get_client_id(),
                client_name=request.client.row.client_name,
                scopes=[ScopeItem(scope=s, title=SYSTEMS_BY_NAME[s].title) for s in request.scope.split()],
                redirect_uri=grant.redirect_uri,
                state=request.payload.state,
            )
        )

    def decide(self, body: AuthorizeDecisionReq) -> Response:
        """The user's answer becomes the redirect the client waits for. Errors Authlib can send to
        a verified redirect_uri (access_denied, invalid_scope…) travel in it, as RFC 6749 §4.1.2.1
        says; the others are envelope errors."""
        account = self.authenticator.resource_owner()
        try:
            grant = self._consent_grant(account)
        except OAuth2Error as error:
            if error.redirect_uri is None:
                raise _invalid_request(error) from None
            return success(AuthorizeDecisionResp(redirect_to=_redirect_of(error)))
        response = self.server.create_authorization_response(grant_user=account if body.approve else None, grant=grant)
        location = response.headers.get("Location")
        if response.status_code != 302 or not location:
            raise AIStackException(ErrorCode.INVALID_INPUT, "授权请求无效", 400, {"request": response.get_data(as_text=True)})
        return success(AuthorizeDecisionResp(redirect_to=location))

    def _consent_grant(self, account):
        try:
            return self.server.get_consent_grant(end_user=account)
        except ValueError:
            # Authlib refuses to put characters RFC 6749 forbids in an error description (a value
            # the query patterns let through, such as a double quote in `state`).
            raise AIStackException(ErrorCode.INVALID_INPUT, "授权请求包含不允许的字符", 400, {"request": "不允许的字符"}) from None

    def token(self) -> Response:
        try:
            return self.server.create_token_response()
        except OAuth2Error as error:  # raised before Authlib's own handling: plain HTTP to a remote host
            return self.server.handle_error_response(None, error)

    def revoke(self) -> Response:
        return self._endpoint("revocation")

    def introspect(self) -> Response:
        return self._endpoint("introspection")

    def _endpoint(self, name: str) -> Response:
        try:
            return self.server.create_endpoint_response(name)
        except OAuth2Error as error:  # raised before Authlib's own handling: plain HTTP to a remote host
            return self.server.handle_error_response(None, error)


def oauth2_routes(system: str, handler: OAuth2Handler) -> list[tuple]:
    """The OAuth2 routes as routes of `system` (each system documents them)."""

    @aistack_endpoint(system, body=OAuth2ClientReq, resp=OAuth2ClientCreatedResp, status=201, tags=TAGS)
    def register_oauth2_client(body: OAuth2ClientReq):
        """Register an OAuth2 client of the caller's account; client_secret is shown only in this answer."""
        return handler.register_client(body)

    @aistack_endpoint(system, listing=CLIENT_LISTING, resp=OAuth2ClientResp, tags=TAGS)
    def list_oauth2_clients(query):
        """The caller's OAuth2 clients."""
        return handler.list_clients(query)

    @aistack_endpoint(system, tags=TAGS)
    def delete_oauth2_client(client_id: str):
        """Delete a client: its codes and tokens stop working at once."""
        return handler.delete_client(client_id)

    # The resource owner signs in with an AI Stack token or the console's: the handler checks it.
    @aistack_endpoint(system, query=AuthorizeQuery, resp=ConsentResp, public=True, tags=TAGS)
    def oauth2_consent(query: AuthorizeQuery):
        """Check an authorization request (response_type=code, client_id, redirect_uri, scope, state,
        code_challenge, code_challenge_method=S256) for the signed-in user's consent screen."""
        return handler.consent()

    @aistack_endpoint(system, query=AuthorizeQuery, body=AuthorizeDecisionReq, resp=AuthorizeDecisionResp, public=True, tags=TAGS)
    def oauth2_decide(query: AuthorizeQuery, body: AuthorizeDecisionReq):
        """The signed-in user approves or denies the request in the query: answers where to send the
        user agent (the client's redirect_uri with code and state, or error=access_denied)."""
        return handler.decide(body)

    @aistack_endpoint(system, public=True, raw_response="application/json", error_model=OAuth2ErrorOrFailure, tags=TAGS)
    def oauth2_token():
        """RFC 6749 token endpoint (application/x-www-form-urlencoded): grant_type=authorization_code
        (code, redirect_uri, code_verifier) or refresh_token; answers RFC 6749 JSON, not the envelope."""
        return handler.token()

    @aistack_endpoint(system, public=True, raw_response="application/json", error_model=OAuth2ErrorOrFailure, tags=TAGS)
    def oauth2_revoke():
        """RFC 7009 revocation (token, token_type_hint): always 200 for an authenticated client."""
        return handler.revoke()

    @aistack_endpoint(system, public=True, raw_response="application/json", error_model=OAuth2ErrorOrFailure, tags=TAGS)
    def oauth2_introspect():
        """RFC 7662 introspection (token, token_type_hint) for a confidential client about its own
        tokens: {active, scope, client_id, token_type, sub, iat, exp}, or {"active": false}."""
        return handler.introspect()

    for signed_in in (oauth2_consent, oauth2_decide):  # public to the gateway, not to the user
        SYSTEM_DOCS[system].get_function_metadata(signed_in).security = SECURITY

    return [
        ("POST", "/api/oauth2/clients", register_oauth2_client),
        ("GET", "/api/oauth2/clients", list_oauth2_clients),
        ("DELETE", "/api/oauth2/clients/<client_id>", delete_oauth2_client),
        ("GET", "/api/oauth2/authorize", oauth2_consent),
        ("POST", "/api/oauth2/authorize", oauth2_decide),
        ("POST", "/api/oauth2/token", oauth2_token),
        ("POST", "/api/oauth2/revoke", oauth2_revoke),
        ("POST", "/api/oauth2/introspect", oauth2_introspect),
    ]
