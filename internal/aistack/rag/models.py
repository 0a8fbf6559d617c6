"""What the RAG system keeps beside the platform's knowledge base: which dataset is an account's
RAG knowledge base, and each RAG document's title, category and tags."""

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from internal.extension.database import JSONType, UTCDateTime, db, utcnow


class RagKnowledgeBase(db.Model):
    """The one dataset of an account that RAG documents go to; the primary key makes the first
    ingest's creation race-safe (a second concurrent creation fails and reads the winner's)."""

    __tablename__ = "aistack_rag_dataset"

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"), primary_key=True)
    # Deleting the dataset in the console ends the binding; the next ingest creates a new one.
    dataset_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("dataset.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RagDocument(db.Model):
    """A platform document ingested through RAG: its id is the document's id."""

    __tablename__ = "aistack_rag_document"
    __table_args__ = (
        Index("ix_aistack_rag_document_account_id_created_at", "account_id", "created_at"),
        Index("ix_aistack_rag_document_account_id_category", "account_id", "category"),
    )

    document_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("document.id", ondelete="CASCADE"), primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(255))
    category: Mapped[str] = mapped_column(String(100), default="")
    tags: Mapped[list] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
