"""Segment vectors in Weaviate (1.27+), through the v4 client's REST and gRPC APIs.

One collection holds every dataset's segments, with vectors provided by the caller and cosine
distance. An object's uuid is its segment id, so upserting a segment again replaces it.
"""

import logging
import os
import threading
import uuid
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

import weaviate
from weaviate.classes.config import Configure, DataType, Property, Tokenization, VectorDistances
from weaviate.classes.data import DataObject
from weaviate.classes.init import AdditionalConfig, Auth, Timeout
from weaviate.classes.query import Filter, MetadataQuery
from weaviate.exceptions import UnexpectedStatusCodeError, WeaviateBaseError, WeaviateInsertManyAllFailedError

from config.settings import VectorStoreSettings

from .base import VectorHit, VectorRecord, VectorStore
from .embedded_collection import SCORE_EPSILON

logger = logging.getLogger(__name__)

# Ids per filter or batch request: well under Weaviate's default query and batch limits.
CHUNK = 500
# The collection's one named vector; naming it keeps inserts and queries unambiguous on every
# server version (older ones treat an unnamed vector differently from newer ones).
VECTOR_NAME = "embedding"
# delete_many removes at most QUERY_MAXIMUM_RESULTS objects (10,000 by default) per call.
MAX_DELETE_ROUNDS = 1000


class WeaviateError(RuntimeError):
    pass


def connection_params(settings: VectorStoreSettings) -> dict:
    """`weaviate.connect_to_custom` arguments for WEAVIATE_URL and the gRPC settings."""
    url = urlsplit(settings.weaviate_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise RuntimeError(f"WEAVIATE_URL must look like http://host:8080, not {settings.weaviate_url!r}")
    secure = url.scheme == "https"
    return {
        "http_host": url.hostname,
        "http_port": url.port or (443 if secure else 80),
        "http_secure": secure,
        "grpc_host": settings.weaviate_grpc_host or url.hostname,
        "grpc_port": settings.weaviate_grpc_port,
        "grpc_secure": secure,
        "auth_credentials": Auth.api_key(settings.weaviate_api_key) if settings.weaviate_api_key else None,
        # The init checks also ask pypi.org for the newest client release: not from a server.
        "skip_init_checks": True,
        "additional_config": AdditionalConfig(
            timeout=Timeout(
                init=min(settings.weaviate_timeout, 10),
                query=settings.weaviate_timeout,
                insert=settings.weaviate_timeout,
            )
        ),
    }


def _chunks(items: Sequence, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


class WeaviateVectorStore(VectorStore):
    def __init__(self, settings: VectorStoreSettings):
        self.settings = settings
        self.collection_name = settings.weaviate_collection
        self.params = connection_params(settings)
        self._client: weaviate.WeaviateClient | None = None
        self._client_pid: int | None = None
        self._collection_ready = False
        self._lock = threading.Lock()

    # -- connection ---------------------------------------------------------------------

    def _collection(self):
        """The collection, connecting (again in a forked worker: gRPC channels do not survive
        a fork) and creating it on first use, so the app starts while Weaviate is down."""
        with self._lock:
            if self._client is None or self._client_pid != os.getpid():
                try:
                    self._client = weaviate.connect_to_custom(**self.params)
                except WeaviateBaseError as exc:
                    raise WeaviateError(f"cannot reach Weaviate at {self.settings.weaviate_url}: {exc}") from exc
                self._client_pid = os.getpid()
                self._collection_ready = False
            if not self._collection_ready:
                self._ensure_collection(self._client)
                self._collection_ready = True
            return self._client.collections.get(self.collection_name)

    def _ensure_collection(self, client: weaviate.WeaviateClient) -> None:
        if client.collections.exists(self.collection_name):
            return
        text = {"data_type": DataType.TEXT, "tokenization": Tokenization.FIELD, "skip_vectorization": True}
        try:
            client.collections.create(
                self.collection_name,
                properties=[
                    Property(name="dataset_id", **text),
                    Property(name="document_id", **text),
                    Property(name="segment_id", **text),
                    Property(name="enabled", data_type=DataType.BOOL),
                ],
                vector_config=Configure.Vectors.self_provided(
                    name=VECTOR_NAME,
                    vector_index_config=Configure.VectorIndex.hnsw(distance_metric=VectorDistances.COSINE),
                ),
            )
        except UnexpectedStatusCodeError:
            # Another process created it in the meantime.
            if not client.collections.exists(self.collection_name):
                raise

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    # -- writes -------------------------------------------------------------------------

    def upsert(self, records: Iterable[VectorRecord]) -> None:
        latest = {record.segment_id: record for record in records}
        if not latest:
            return
        collection = self._collection()
        for chunk in _chunks(list(latest.values())):
            try:
                result = collection.data.insert_many(self._objects(chunk))
            except WeaviateInsertManyAllFailedError as exc:
                raise WeaviateError(f"Weaviate rejected {len(chunk)} of {len(chunk)} vectors: {exc}") from exc
            if result.has_errors:
                first = next(iter(result.errors.values()))
                raise WeaviateError(f"Weaviate rejected {len(result.errors)} of {len(chunk)} vectors: {first.message}")

    @staticmethod
    def _objects(records: list[VectorRecord]) -> list[DataObject]:
        return [
            DataObject(
                uuid=record.segment_id,
                properties={
                    "dataset_id": str(record.dataset_id),
                    "document_id": str(record.document_id),
                    "segment_id": str(record.segment_id),
                    "enabled": bool(record.enabled),
                },
                vector={VECTOR_NAME: [float(value) for value in record.vector]},
            )
            for record in records
        ]

    def set_enabled(self, segment_ids: Iterable[uuid.UUID], enabled: bool) -> None:
        ids = list(set(segment_ids))
        if not ids:
            return
        collection = self._collection()
        for chunk in _chunks(ids):
            # Only objects that exist and differ; a patch keeps the stored vector.
            stale = collection.query.fetch_objects(
                filters=Filter.by_id().contains_any(chunk) & Filter.by_property("enabled").equal(not enabled),
                limit=len(chunk),
                return_properties=[],
            )
            for obj in stale.objects:
                try:
                    collection.data.update(uuid=obj.uuid, properties={"enabled": bool(enabled)})
                except UnexpectedStatusCodeError as exc:
                    if exc.status_code != 404:  # deleted in the meantime
                        raise

    def delete_segments(self, segment_ids: Iterable[uuid.UUID]) -> None:
        ids = list(set(segment_ids))
        collection = self._collection() if ids else None
        for chunk in _chunks(ids):
            self._delete_where(collection, Filter.by_id().contains_any(chunk))

    def delete_document(self, document_id: uuid.UUID) -> None:
        self._delete_where(self._collection(), Filter.by_property("document_id").equal(str(document_id)))

    def delete_dataset(self, dataset_id: uuid.UUID) -> None:
        self._delete_where(self._collection(), Filter.by_property("dataset_id").equal(str(dataset_id)))

    @staticmethod
    def _delete_where(collection, where) -> None:
        for _ in range(MAX_DELETE_ROUNDS):
            result = collection.data.delete_many(where=where)
            if result.failed:
                raise WeaviateError(f"Weaviate failed to delete {result.failed} of {result.matches} vectors")
            if result.matches == 0 or result.successful == 0:
                return

    # -- reads --------------------------------------------------------------------------

    def search(self, dataset_ids, vector, k, score_threshold=0.0, document_ids=None):
        if k <= 0 or not dataset_ids or (document_ids is not None and not document_ids):
            return []
        filters = Filter.by_property("dataset_id").contains_any([str(d) for d in dict.fromkeys(dataset_ids)]) & Filter.by_property(
            "enabled"
        ).equal(True)
        if document_ids is not None:
            filters &= Filter.by_property("document_id").contains_any([str(d) for d in dict.fromkeys(document_ids)])
        options = {}
        if score_threshold > 0:
            # Cosine distance is 1 - cosine similarity; the margin keeps float rounding from
            # dropping a hit exactly at the threshold (the exact check follows below).
            options["distance"] = 1.0 - score_threshold + SCORE_EPSILON
        result = self._collection().query.near_vector(
            near_vector=[float(value) for value in vector],
            limit=k,
            target_vector=VECTOR_NAME,
            filters=filters,
            return_metadata=MetadataQuery(distance=True),
            return_properties=[],
            **options,
        )
        hits = [
            VectorHit(segment_id=uuid.UUID(str(obj.uuid)), score=min(max(1.0 - obj.metadata.distance, 0.0), 1.0))
            for obj in result.objects
        ]
        return [hit for hit in hits if hit.score >= score_threshold - SCORE_EPSILON]


__all__ = ["WeaviateError", "WeaviateVectorStore", "connection_params"]
