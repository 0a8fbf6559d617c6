"""Agent apps: the app itself, its draft and published configurations, its publish history,
and the datasets its configurations bind."""

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from internal.extension.database import JSONType, UTCDateTime, db, utcnow


class AppStatus:
    DRAFT = "draft"
    PUBLISHED = "published"


class AppConfigKind:
    DRAFT = "draft"
    PUBLISHED = "published"


class App(db.Model):
    __tablename__ = "app"
    __table_args__ = (Index("ix_app_account_id_created_at", "account_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    icon: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=AppStatus.DRAFT)
    # The WebApp credential; NULL (shown as "") while the app is not published, unique otherwise.
    token: Mapped[str | None] = mapped_column(String(32), unique=True, default=None)
    # Conversations arrive with a later module; until then a plain column without a foreign key.
    debug_conversation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    draft_updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AppConfig(db.Model):
    """One configuration of an app: its draft (always there) or the published one (while published).

    The columns are the AppConfig fields of the API, in their stored form: tools as
    `{type, provider_id, tool_id, params}`, workflows and datasets as id strings.
    """

    __tablename__ = "app_config"
    __table_args__ = (UniqueConstraint("app_id", "kind"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    app_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("app.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    model_config: Mapped[dict] = mapped_column(JSONType, default=dict)
    dialog_round: Mapped[int] = mapped_column(Integer, default=3)
    preset_prompt: Mapped[str] = mapped_column(Text, default="")
    tools: Mapped[list] = mapped_column(JSONType, default=list)
    workflows: Mapped[list] = mapped_column(JSONType, default=list)
    datasets: Mapped[list] = mapped_column(JSONType, default=list)
    retrieval_config: Mapped[dict] = mapped_column(JSONType, default=dict)
    long_term_memory: Mapped[dict] = mapped_column(JSONType, default=dict)
    opening_statement: Mapped[str] = mapped_column(Text, default="")
    opening_questions: Mapped[list] = mapped_column(JSONType, default=list)
    speech_to_text: Mapped[dict] = mapped_column(JSONType, default=dict)
    text_to_speech: Mapped[dict] = mapped_column(JSONType, default=dict)
    review_config: Mapped[dict] = mapped_column(JSONType, default=dict)
    suggested_after_answer: Mapped[dict] = mapped_column(JSONType, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AppConfigVersion(db.Model):
    """A snapshot of the configuration taken at each publish; `version` counts from 1 per app."""

    __tablename__ = "app_config_version"
    __table_args__ = (UniqueConstraint("app_id", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    app_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("app.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    config: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AppDatasetJoin(db.Model):
    """A dataset bound by an app's draft or published configuration.

    `dataset_id` has no foreign key on purpose: the binding outlives the dataset row until the
    dataset deletion unbinds it from the configurations, which it finds through these rows.
    """

    __tablename__ = "app_dataset_join"

    app_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("app.id", ondelete="CASCADE"), primary_key=True)
    dataset_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
