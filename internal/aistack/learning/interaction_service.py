"""Interactions: recorded through the API, or a rating of a message of the caller's own
conversations (the platform's ownership rule), which counts as an interaction too."""

import uuid
from dataclasses import dataclass

from injector import inject
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from internal.aistack.gateway.errors import invalid_input
from internal.aistack.gateway.envelope import Pagination
from internal.aistack.gateway.listing import ListSpec, paginate
from internal.model.conversation import InvokeFrom
from internal.service.base_service import BaseService
from internal.service.conversation_service import ConversationService

from .models import Feedback, Interaction, InteractionSource
from .schemas import InteractionReq, MessageFeedbackReq

INTERACTION_NOT_FOUND = "交互记录不存在"
MESSAGE_NOT_FOUND = "消息不存在或无权限访问"

INTERACTION_LIST = ListSpec(
    name="LearningInteraction",
    sort={"created_at": Interaction.created_at, "feedback": Interaction.feedback},
    default_sort="created_at",
    filters={"feedback": (Interaction.feedback, Feedback), "source": (Interaction.source, InteractionSource)},
    date_column=Interaction.created_at,
)


@inject
@dataclass
class InteractionService(BaseService):
    conversation_service: ConversationService

    def record(self, account_id: uuid.UUID, req: InteractionReq) -> Interaction:
        interaction = Interaction(
            account_id=account_id,
            user_input=req.user_input,
            system_response=req.system_response,
            feedback=req.feedback,
            source=InteractionSource.API.value,
        )
        self.db.session.add(interaction)
        self.db.session.commit()
        return interaction

    def rate_message(self, account_id: uuid.UUID, message_id: uuid.UUID, req: MessageFeedbackReq) -> Interaction:
        """The message's interaction with this feedback; rating it again changes the feedback."""
        message = self.conversation_service.get_own_message(
            account_id, message_id, MESSAGE_NOT_FOUND, more_channels=(InvokeFrom.AISTACK,)
        )
        if not message.answer.strip():
            raise invalid_input("message_id", "该消息没有回复，无法评价")
        for _ in range(2):  # a concurrent first rating of the same message wins the insert
            interaction = self._of_message(account_id, message_id)
            if interaction is None:
                interaction = Interaction(account_id=account_id, message_id=message_id, source=InteractionSource.MESSAGE.value)
                self.db.session.add(interaction)
            interaction.user_input = message.query
            interaction.system_response = message.answer
            interaction.feedback = req.feedback
            try:
                self.db.session.commit()
                return interaction
            except IntegrityError:
                self.db.session.rollback()
                message = self.conversation_service.get_own_message(
                    account_id, message_id, MESSAGE_NOT_FOUND, more_channels=(InvokeFrom.AISTACK,)
                )
        raise invalid_input("message_id", "评价冲突，请重试")

    def get(self, account_id: uuid.UUID, interaction_id: uuid.UUID) -> Interaction:
        return self.get_owned(Interaction, interaction_id, account_id, INTERACTION_NOT_FOUND)

    def list_page(self, account_id: uuid.UUID, query) -> tuple[list[Interaction], Pagination]:
        stmt = INTERACTION_LIST.apply(select(Interaction).where(Interaction.account_id == account_id), query)
        return paginate(self.db.session, stmt, query, tiebreak=Interaction.id)

    def newest(self, account_id: uuid.UUID, limit: int) -> list[Interaction]:
        """The account's newest interactions, oldest first (what patterns cluster)."""
        rows = self.db.session.scalars(
            select(Interaction)
            .where(Interaction.account_id == account_id)
            .order_by(Interaction.created_at.desc(), Interaction.id)
            .limit(limit)
        ).all()
        return list(reversed(rows))

    def positive(self, account_id: uuid.UUID) -> list[Interaction]:
        """The account's positively rated interactions, oldest first."""
        return list(
            self.db.session.scalars(
                select(Interaction)
                .where(Interaction.account_id == account_id, Interaction.feedback == Feedback.POSITIVE.value)
                .order_by(Interaction.created_at, Interaction.id)
            ).all()
        )

    def _of_message(self, account_id: uuid.UUID, message_id: uuid.UUID) -> Interaction | None:
        return self.db.session.scalar(
            select(Interaction).where(Interaction.account_id == account_id, Interaction.message_id == message_id)
        )
