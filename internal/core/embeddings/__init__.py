"""Text embeddings for the knowledge base: LangChain's `Embeddings` port, a local model or an
OpenAI-compatible endpoint, chosen by `create_embeddings` from the settings."""

from langchain_core.embeddings import Embeddings

from config import Settings
from config.settings import EmbeddingProvider


def resolve_provider(settings: Settings) -> EmbeddingProvider:
    """The provider in effect: `auto` means openai when an API key is configured, else local."""
    provider = settings.embeddings.embedding_provider
    if provider is EmbeddingProvider.AUTO:
        return EmbeddingProvider.OPENAI if settings.providers.openai_api_key else EmbeddingProvider.LOCAL
    return provider


def create_embeddings(settings: Settings) -> Embeddings:
    config = settings.embeddings
    if resolve_provider(settings) is EmbeddingProvider.OPENAI:
        from .openai_embeddings import create_openai_embeddings

        return create_openai_embeddings(settings.providers, config)
    from .local_embeddings import LocalEmbeddings

    return LocalEmbeddings(batch_size=config.embedding_batch_size, threads=config.embedding_threads)


__all__ = ["Embeddings", "create_embeddings", "resolve_provider"]
