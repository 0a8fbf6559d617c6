"""End users of a published app: callers who are not accounts (open API, WeChat), one app each."""

import uuid
from dataclasses import dataclass

from injector import inject

from internal.exception import NotFoundException
from internal.model import App, EndUser

from .base_service import BaseService

END_USER_NOT_FOUND = "该终端用户不存在"


@inject
@dataclass
class EndUserService(BaseService):
    def create(self, app_id: uuid.UUID) -> EndUser:
        """A new end user of the app (owned by the app's account). Added to the session, not
        committed: the chat that starts with it commits, so a chat refused before it starts
        leaves no end user behind."""
        app = self.db.session.get(App, app_id)
        if app is None:
            raise NotFoundException("该应用不存在")
        end_user = EndUser(id=uuid.uuid4(), app_id=app.id, account_id=app.account_id)
        self.db.session.add(end_user)
        self.db.session.flush()
        return end_user

    def get(self, app_id: uuid.UUID, end_user_id: uuid.UUID) -> EndUser:
        """The app's end user; missing and another app's look the same."""
        end_user = self.db.session.get(EndUser, end_user_id)
        if end_user is None or end_user.app_id != app_id:
            raise NotFoundException(END_USER_NOT_FOUND)
        return end_user
