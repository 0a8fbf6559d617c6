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
    from .embedded_store import EmbeddedVectorStore

    return EmbeddedVectorStore(settings.storage_dir / "vector_store", kv_store)


__all__ = ["VectorDimensionError", "VectorHit", "VectorRecord", "VectorStore", "create_vector_store"]
