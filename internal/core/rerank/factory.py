"""The reranker the configuration asks for."""

from config.settings import RerankProvider, RerankSettings

from .base import KeepOrder, Reranker
from .http_reranker import HttpReranker


def create_reranker(config: RerankSettings) -> Reranker:
    if config.rerank_provider is RerankProvider.HTTP:
        if not config.rerank_base_url:
            raise RuntimeError("RERANK_PROVIDER=http requires RERANK_BASE_URL (see .env.example)")
        return HttpReranker(
            config.rerank_base_url,
            config.rerank_api_key,
            config.rerank_model,
            config.rerank_api_format.value,
            config.rerank_candidates,
            config.rerank_timeout,
        )
    return KeepOrder()
