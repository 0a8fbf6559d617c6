"""Third-party sign-in (llmops-api.md §6.1, §6.2): the provider's authorization address, and
signing in with the code the provider sent back."""

from dataclasses import asdict, dataclass

from flask import request
from injector import inject

from internal.middleware import AuthKind
from internal.schema.auth import AuthorizeReq, CredentialResp, RedirectResp
from internal.service.oauth_service import OAuthService
from pkg.response import success_json

from .endpoint import endpoint


@inject
@dataclass
class OAuthHandler:
    oauth_service: OAuthService

    @endpoint(auth=AuthKind.NONE, resp=RedirectResp, tags=("auth",))
    def provider(self, provider_name: str):
        """The third-party provider's consent page to send the browser to, with a signed,
        single-use `state` that the callback must bring back."""
        return success_json({"redirect_url": self.oauth_service.redirect_url(provider_name)})

    @endpoint(auth=AuthKind.NONE, body=AuthorizeReq, resp=CredentialResp, tags=("auth",))
    def authorize(self, provider_name: str, body: AuthorizeReq):
        """Exchange the provider's code (and the `state` sent back with it) for an access token,
        creating the account on first sign-in."""
        credential = self.oauth_service.authorize(provider_name, body.code, body.state, request.remote_addr or "")
        return success_json(asdict(credential))
