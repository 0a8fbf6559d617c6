"""The reranker the configuration asks for."""

from config.settings import RerankProvider, RerankSettings
from internal.core.language_model.factory import LanguageModelFactory
from internal.exception import CustomException

from .base import KeepOrder, Reranker
from .chat_reranker import ChatReranker
from .http_reranker import HttpReranker


def create_reranker(config: RerankSettings, language_models: LanguageModelFactory | None = None) -> Reranker:
    """The configured reranker; a setting it needs that is missing or unknown fails here, at start."""
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
    if config.rerank_provider is RerankProvider.CHAT:
        if not config.rerank_chat_provider or not config.rerank_chat_model:
            raise RuntimeError("RERANK_PROVIDER=chat requires RERANK_CHAT_PROVIDER and RERANK_CHAT_MODEL (see .env.example)")
        if language_models is None:
            raise RuntimeError("RERANK_PROVIDER=chat needs the model catalog")
        try:
            model = language_models.resolve(config.rerank_chat_provider, config.rerank_chat_model)
        except CustomException as exc:
            raise RuntimeError(
                f"RERANK_CHAT_PROVIDER/RERANK_CHAT_MODEL: {config.rerank_chat_provider}/{config.rerank_chat_model}"
                f" is not a model of the catalog ({exc.message})"
            ) from None
        return ChatReranker(language_models, model, config.rerank_candidates, config.rerank_timeout)
    return KeepOrder()
