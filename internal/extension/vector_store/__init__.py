"""Segment embeddings, searchable per dataset: Weaviate when configured, files embedded."""

from config import Settings
from internal.extension.kv_store import KeyValueStore

from .base import VectorHit, VectorRecord, VectorStore
from .embedded_collection import VectorDimensionError


def create_vector_store(settings: Settings, kv_store: KeyValueStore) -> VectorStore:
    """Weaviate when WEAVIATE_URL is set; otherwise files under STORAGE_DIR/vector_store, whose
    writers take `kv_store`'s locks so API and worker processes can share them."""
    if settings.vector_store.weaviate_url:
        from .weaviate_store import WeaviateVectorStore

        return WeaviateVectorStore(settings.vector_store)
    from . import embedded_store

    # Twice a build lease (10 s to a minute): a killed writer frees it soon after its build lease ran out.
    lock_timeout = min(embedded_store.LOCK_TIMEOUT_SECONDS, max(10.0, settings.celery.indexing_lease_seconds * 2))
    return embedded_store.EmbeddedVectorStore(settings.storage_dir / "vector_store", kv_store, lock_timeout)


__all__ = ["VectorDimensionError", "VectorHit", "VectorRecord", "VectorStore", "create_vector_store"]
