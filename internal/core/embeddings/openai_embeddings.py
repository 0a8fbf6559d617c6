"""Embeddings from any OpenAI-compatible `/embeddings` endpoint (OpenAI, vLLM, Ollama, a test fake)."""

from langchain_openai import OpenAIEmbeddings

from config.settings import EmbeddingSettings, ProviderSettings

DEFAULT_API_BASE = "https://api.openai.com/v1"


def create_openai_embeddings(providers: ProviderSettings, config: EmbeddingSettings) -> OpenAIEmbeddings:
    if not providers.openai_api_key:
        # Servers that ignore keys (a local Ollama, vLLM) still need some value here.
        raise RuntimeError("EMBEDDING_PROVIDER=openai requires OPENAI_API_KEY (see .env.example)")
    return OpenAIEmbeddings(
        model=config.embedding_model,
        api_key=providers.openai_api_key,
        # Explicit, so the SDK never falls back to OPENAI_BASE_URL from the environment.
        base_url=providers.openai_api_base or DEFAULT_API_BASE,
        # Plain strings, not tiktoken token ids: works with every compatible server and never
        # downloads a tokenizer.
        check_embedding_ctx_length=False,
        chunk_size=config.embedding_batch_size,
        timeout=config.embedding_timeout,
        max_retries=2,
    )
