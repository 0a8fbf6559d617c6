"""Knowledge bases: datasets, their documents and segments, the keyword index and queries."""

import uuid
from datetime import datetime
from enum import Enum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from internal.extension.database import JSONType, UTCDateTime, db, utcnow


class DocumentStatus(str, Enum):
    """A document's build stage; only `completed` documents are searchable."""

    WAITING = "waiting"
    PARSING = "parsing"
    SPLITTING = "splitting"
    INDEXING = "indexing"
    COMPLETED = "completed"
    ERROR = "error"


class SegmentStatus(str, Enum):
    WAITING = "waiting"
    INDEXING = "indexing"
    COMPLETED = "completed"
    ERROR = "error"


class Dataset(db.Model):
    __tablename__ = "dataset"
    __table_args__ = (UniqueConstraint("account_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    icon: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Document(db.Model):
    """One uploaded file being (or having been) turned into segments of a dataset."""

    __tablename__ = "document"
    __table_args__ = (Index("ix_document_dataset_id_position", "dataset_id", "position"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"), index=True)
    dataset_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("dataset.id", ondelete="CASCADE"))
    upload_file_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("upload_file.id", ondelete="SET NULL"))
    batch: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(255))
    position: Mapped[int] = mapped_column(Integer, default=1)
    # How the file is cut: "automatic" or "custom" plus the rule (pre_process_rules, segment).
    process_type: Mapped[str] = mapped_column(String(16), default="automatic")
    rule: Mapped[dict] = mapped_column(JSONType, default=dict)
    character_count: Mapped[int] = mapped_column(Integer, default=0)
    token_count: Mapped[int] = mapped_column(Integer, default=0)
    hit_count: Mapped[int] = mapped_column(Integer, default=0)
    # Builds started for this document; the sweeper fails it once too many were interrupted.
    build_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    status: Mapped[str] = mapped_column(String(16), default=DocumentStatus.WAITING.value)
    error: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    processing_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    parsing_completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    splitting_completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    indexing_completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# A segment or document that retrieval must not return; the same text in the partial index and the queries.
UNSEARCHABLE = f"NOT enabled OR status <> '{DocumentStatus.COMPLETED.value}'"


class Segment(db.Model):
    """A chunk of a document: the unit that is embedded, keyword-indexed and retrieved."""

    __tablename__ = "segment"
    __table_args__ = (
        Index("ix_segment_document_id_position", "document_id", "position"),
        # Retrieval skips these; the index keeps the (usually few) unsearchable segments at hand.
        Index(
            "ix_segment_unsearchable",
            "dataset_id",
            "document_id",
            sqlite_where=text(UNSEARCHABLE),
            postgresql_where=text(UNSEARCHABLE),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"), index=True)
    dataset_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("dataset.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("document.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=1)
    content: Mapped[str] = mapped_column(Text)
    character_count: Mapped[int] = mapped_column(Integer, default=0)
    token_count: Mapped[int] = mapped_column(Integer, default=0)
    keywords: Mapped[list] = mapped_column(JSONType, default=list)
    hash: Mapped[str] = mapped_column(String(64), index=True)
    hit_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default=SegmentStatus.WAITING.value)
    error: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    processing_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    indexing_completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SegmentTerm(db.Model):
    """Inverted index for full-text retrieval: how often a search term occurs in a segment.

    Each indexed segment also has one row with the empty term (frequency 0) that carries its
    length, so BM25's segment count and average length come from the same index.
    """

    __tablename__ = "segment_term"
    __table_args__ = (
        # Covering: a term's postings, filters and BM25 inputs without visiting the table.
        Index("ix_segment_term_postings", "dataset_id", "term", "segment_id", "document_id", "frequency", "segment_length"),
        Index("ix_segment_term_document_id_term", "document_id", "term", "segment_length"),
    )

    segment_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("segment.id", ondelete="CASCADE"), primary_key=True)
    term: Mapped[str] = mapped_column(String(64), primary_key=True)
    dataset_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("dataset.id", ondelete="CASCADE"))
    document_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("document.id", ondelete="CASCADE"))
    frequency: Mapped[int] = mapped_column(Integer, default=1)
    # The segment's number of terms (repeats included), the BM25 length, on every row of the segment.
    segment_length: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class DocumentTerm(db.Model):
    """BM25's corpus statistics per document and term, kept with the postings: how many of the
    document's indexed segments hold the term and the sum of their lengths. The empty term counts
    every indexed segment, as in `segment_term`. A search adds up its datasets' rows instead of
    counting postings (a common term has one per segment)."""

    __tablename__ = "document_term"
    __table_args__ = (
        Index("ix_document_term_dataset", "dataset_id", "term", "document_id", "postings", "total_length"),
    )

    document_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("document.id", ondelete="CASCADE"), primary_key=True)
    term: Mapped[str] = mapped_column(String(64), primary_key=True)
    dataset_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("dataset.id", ondelete="CASCADE"))
    postings: Mapped[int] = mapped_column(Integer, default=0)
    total_length: Mapped[int] = mapped_column(Integer, default=0)


class DatasetQuery(db.Model):
    """A retrieval against a dataset, from hit testing or an app, newest shown first."""

    __tablename__ = "dataset_query"
    __table_args__ = (Index("ix_dataset_query_dataset_id_created_at", "dataset_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    dataset_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("dataset.id", ondelete="CASCADE"))
    query: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(32), default="Hit Testing")
    source_app_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IndexCleanup(db.Model):
    """What a deleted document or dataset left outside its database rows (vectors, app bindings),
    recorded in the deletion's transaction and removed once the cleanup task has done its work;
    the indexing sweep re-queues the cleanups whose task was lost or failed."""

    __tablename__ = "index_cleanup"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    # No foreign keys: what they would point to is gone.
    dataset_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    document_ids: Mapped[list] = mapped_column(JSONType, default=list)
    # The whole dataset (its vectors, terms and app bindings), or only the listed documents.
    whole_dataset: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
