"""Password sign-in and sign-out (llmops-api.md §6.3, §6.4): sign-in answers an access token,
sign-out revokes the token it was called with."""

from dataclasses import asdict, dataclass

from flask import request
from injector import inject

from internal.middleware import AuthKind, current_token_claims
from internal.schema.auth import CredentialResp, PasswordLoginReq
from internal.service.account_service import AccountService
from pkg.response import success_json, success_message

from .endpoint import endpoint


@inject
@dataclass
class AuthHandler:
    account_service: AccountService

    @endpoint(auth=AuthKind.NONE, body=PasswordLoginReq, resp=CredentialResp, tags=("auth",))
    def password_login(self, body: PasswordLoginReq):
        """Sign in with email and password."""
        credential = self.account_service.password_login(body.email, body.password, request.remote_addr or "")
        return success_json(asdict(credential))

    @endpoint(tags=("auth",))
    def logout(self):
        """Sign out: the token is refused from now on."""
        self.account_service.logout(current_token_claims())
        return success_message("退出当前账号成功")
