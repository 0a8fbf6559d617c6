"""What the app services share: loading one of the account's apps."""

import uuid

from internal.model import App

from .base_service import BaseService

APP_NOT_FOUND = "该应用不存在"


class AppBaseService(BaseService):
    def get_app(self, account_id: uuid.UUID, app_id: uuid.UUID) -> App:
        return self.get_owned(App, app_id, account_id, APP_NOT_FOUND)
