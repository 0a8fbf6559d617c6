"""The OpenAI-compatible surface (`/v1`): the key owner's published apps as models, and chat
completions answered by an app on its published config through the channel-neutral chat service."""

import uuid
from dataclasses import dataclass

from injector import inject
from sqlalchemy import select

from internal.model import App
from internal.model.app import AppStatus

from .base_service import BaseService


@inject
@dataclass
class OpenAICompatService(BaseService):
    def list_models(self, account_id: uuid.UUID) -> list[App]:
        """The account's published apps, most recently published first."""
        return list(
            self.db.session.scalars(
                select(App)
                .where(App.account_id == account_id, App.status == AppStatus.PUBLISHED)
                .order_by(App.published_at.desc(), App.id)
            )
        )
