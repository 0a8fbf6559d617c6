"""What the self-learning system stores per account: rated interactions (sent to the API or
ratings of the platform's own messages) and retraining jobs with their artefacts."""

import uuid
from datetime import datetime
from enum import Enum

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from internal.extension.database import JSONType, UTCDateTime, db, utcnow


class Feedback(str, Enum):
    POSITIVE = "positive"
    NEGATIVE = "negative"
    NEUTRAL = "neutral"


class InteractionSource(str, Enum):
    API = "api"  # POST /learning/interactions
    MESSAGE = "message"  # a rating of one of the account's own conversation messages


class Interaction(db.Model):
    """A user input, the system's response and how it was rated."""

    __tablename__ = "aistack_learning_interaction"
    # A message is one interaction: rating it again changes its feedback.
    __table_args__ = (UniqueConstraint("account_id", "message_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"), index=True)
    user_input: Mapped[str] = mapped_column(Text)
    system_response: Mapped[str] = mapped_column(Text)
    feedback: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16), default=InteractionSource.API.value)
    message_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class RetrainStatus(str, Enum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class RetrainJob(db.Model):
    """One POST /learning/retrain: its stage, the data set it built, the evaluation of the
    improved prompt and the fine-tuning job it submitted, if any."""

    __tablename__ = "aistack_learning_retrain_job"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"), index=True)
    model_type: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=RetrainStatus.PENDING.value)
    stage: Mapped[str] = mapped_column(String(32), default="")
    training_examples: Mapped[int] = mapped_column(Integer, default=0)
    holdout_examples: Mapped[int] = mapped_column(Integer, default=0)
    dataset_jsonl: Mapped[str] = mapped_column(Text, default="")
    improved_prompt: Mapped[str] = mapped_column(Text, default="")
    evaluation: Mapped[dict | None] = mapped_column(JSONType, default=None)
    fine_tune: Mapped[dict | None] = mapped_column(JSONType, default=None)
    error: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
