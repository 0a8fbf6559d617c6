"""The signed-in account (llmops-api.md §7.1-7.4): reading it and changing its password, name
and avatar."""

from dataclasses import dataclass

from injector import inject

from internal.middleware import current_account, current_token_claims
from internal.schema.account import AccountResp, UpdateAvatarReq, UpdateNameReq, UpdatePasswordReq
from internal.service.account_service import AccountService
from pkg.response import success_json, success_message

from .endpoint import endpoint


@inject
@dataclass
class AccountHandler:
    account_service: AccountService

    @endpoint(resp=AccountResp, tags=("account",))
    def get_current_account(self):
        """The signed-in account."""
        return success_json(AccountResp.render(current_account()))

    @endpoint(body=UpdatePasswordReq, tags=("account",))
    def update_password(self, body: UpdatePasswordReq):
        """Change the password (8-16 characters, at least one letter and one digit); every other
        session of the account is signed out, this one stays signed in."""
        self.account_service.update_password(current_account(), body.password, current_token_claims())
        return success_message("修改当前登录账号密码成功")

    @endpoint(body=UpdateNameReq, tags=("account",))
    def update_name(self, body: UpdateNameReq):
        """Change the account name (3-30 characters)."""
        self.account_service.update_name(current_account(), body.name)
        return success_message("修改账号名称成功")

    @endpoint(body=UpdateAvatarReq, tags=("account",))
    def update_avatar(self, body: UpdateAvatarReq):
        """Change the avatar URL."""
        self.account_service.update_avatar(current_account(), body.avatar)
        return success_message("修改账号头像成功")
