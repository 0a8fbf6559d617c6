"""What the knowledge graph stores per account: builds and their progress, entities merged by
(normalised name, type), relationships between them, and the segments each was found in."""

import uuid
from datetime import datetime
from enum import Enum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from internal.extension.database import JSONType, UTCDateTime, db, utcnow


class GraphBuildStatus(str, Enum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class GraphBuild(db.Model):
    """One POST /knowledge-graph/build: the documents it reads and how far it got."""

    __tablename__ = "aistack_rag_graph_build"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"), index=True)
    document_ids: Mapped[list] = mapped_column(JSONType, default=list)
    extract_entities: Mapped[bool] = mapped_column(Boolean, default=True)
    extract_relationships: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default=GraphBuildStatus.PENDING.value)
    total_chunks: Mapped[int] = mapped_column(Integer, default=0)
    processed_chunks: Mapped[int] = mapped_column(Integer, default=0)
    entities_count: Mapped[int] = mapped_column(Integer, default=0)
    relationships_count: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GraphEntity(db.Model):
    """A node: one entity of the account, whichever documents mention it."""

    __tablename__ = "aistack_rag_graph_entity"
    __table_args__ = (UniqueConstraint("account_id", "normalized_name", "type"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    normalized_name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GraphRelationship(db.Model):
    """An edge: `type` from one entity to another, one per (source, type, target)."""

    __tablename__ = "aistack_rag_graph_relationship"
    __table_args__ = (UniqueConstraint("account_id", "source_id", "target_id", "type"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("aistack_rag_graph_entity.id", ondelete="CASCADE"), index=True)
    target_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("aistack_rag_graph_entity.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GraphMention(db.Model):
    """A document's contribution: the segment an entity or a relationship was found in.
    Rebuilding a document replaces its mentions; what no mention supports any more goes."""

    __tablename__ = "aistack_rag_graph_mention"
    __table_args__ = (Index("ix_aistack_rag_graph_mention_account_document", "account_id", "document_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"))
    document_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("document.id", ondelete="CASCADE"))
    segment_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("segment.id", ondelete="CASCADE"))
    entity_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("aistack_rag_graph_entity.id", ondelete="CASCADE"), index=True, default=None
    )
    relationship_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("aistack_rag_graph_relationship.id", ondelete="CASCADE"), index=True, default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
