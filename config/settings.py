"""Settings read from the environment (and an optional `.env`), grouped by concern.

Every setting left unset falls back to the embedded profile: SQLite and in-process
infrastructure under `STORAGE_DIR`. `LLMOPS_PROFILE=production` makes the service
settings mandatory instead.
"""

import secrets
from decimal import Decimal
from enum import Enum
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import limits
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pkg.secret_box import derive_key

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Profile(str, Enum):
    EMBEDDED = "embedded"
    PRODUCTION = "production"


class _Group(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")


class StorageSettings(_Group):
    storage_dir: Path = Field(PROJECT_ROOT / "storage", description="Where embedded data lives")


class ObjectStorageBackend(str, Enum):
    LOCAL = "local"
    COS = "cos"


class ObjectStorageSettings(_Group):
    """Where uploaded files go: `local` keeps them under STORAGE_DIR/uploads, `cos` in Tencent COS."""

    storage_backend: ObjectStorageBackend = ObjectStorageBackend.LOCAL
    api_public_url: str = Field("", description="Public base URL of this API for links to local files; empty: the request's host")
    cos_secret_id: str = ""
    cos_secret_key: str = ""
    cos_region: str = Field("", description="e.g. ap-guangzhou")
    cos_bucket: str = Field("", description="Bucket name with its APPID, e.g. llmops-1250000000")
    cos_scheme: str = Field("https", pattern="^https?$")
    cos_domain: str = Field("", description="Public domain (CDN or custom) in file URLs; empty: the bucket's own domain")
    cos_endpoint_override: str = Field("", description="host:port to send COS requests to instead of the bucket's domain")
    cos_timeout: float = Field(30.0, gt=0, description="Seconds before a COS request gives up")
    upload_link_ttl: int = Field(3600, ge=1, description="Seconds a signed link to an uploaded document stays valid")


class DatabaseSettings(_Group):
    sqlalchemy_database_uri: str = ""
    sqlalchemy_pool_size: int = 10
    sqlalchemy_pool_recycle: int = 3600
    sqlalchemy_echo: bool = False


class RedisSettings(_Group):
    redis_url: str = ""


class CelerySettings(_Group):
    """Background jobs (Celery in production, a thread pool embedded) and how indexing survives faults."""

    celery_broker_url: str = ""
    celery_result_backend: str = ""
    celery_indexing_queue: str = Field("indexing", min_length=1, description="Queue of document builds and index removals")
    celery_visibility_timeout: int = Field(
        90, ge=1, description="Seconds before the broker redelivers a message a lost worker took (Redis broker)"
    )
    indexing_lease_seconds: float = Field(
        30.0, gt=0, description="A build holds its document for this long, renewed while it runs; a dead build frees it then"
    )
    indexing_sweep_interval: float = Field(
        30.0, gt=0, description="Seconds between sweeps that re-queue or fail builds whose worker is gone"
    )
    indexing_max_attempts: int = Field(
        3, ge=1, description="Builds of one document that may be interrupted before it is failed"
    )


class SecuritySettings(_Group):
    jwt_secret_key: str = ""
    jwt_expires_in: int = Field(30 * 24 * 3600, gt=0, description="Access token lifetime in seconds")
    cors_allowed_origins: str = Field("http://localhost:5173,http://127.0.0.1:5173")
    login_max_failures: int = Field(5, ge=1)
    login_lockout_seconds: int = Field(15 * 60, ge=1)
    trusted_proxies: int = Field(0, ge=0, description="Reverse proxies in front whose X-Forwarded-* to trust")
    data_secret_key: str = Field("", description="Master secret of data encrypted at rest and of API key lookup hashes")


class OAuthSettings(_Group):
    github_client_id: str = ""
    github_client_secret: str = ""
    github_redirect_uri: str = ""
    github_oauth_base: str = "https://github.com"
    github_api_base: str = "https://api.github.com"
    oauth_http_timeout: float = 10.0
    oauth_require_state: bool = Field(False, description="Refuse sign-in callbacks without the signed state (recommended in production)")
    oauth_state_ttl: int = Field(600, ge=1, description="Seconds a sign-in started with GET /oauth/:provider may take")


class ProviderSettings(_Group):
    """Model provider endpoints: <NAME>_API_BASE overrides the catalog's URL, <NAME>_API_KEY authenticates."""

    openai_api_key: str = ""
    openai_api_base: str = ""
    deepseek_api_key: str = ""
    deepseek_api_base: str = ""
    moonshot_api_key: str = ""
    moonshot_api_base: str = ""
    tongyi_api_key: str = ""
    tongyi_api_base: str = ""
    zhipu_api_key: str = ""
    zhipu_api_base: str = ""
    ollama_api_key: str = ""
    ollama_api_base: str = ""
    llm_request_timeout: float = Field(120.0, gt=0, description="Seconds one model request may take")
    llm_max_retries: int = Field(2, ge=0, description="Retries of a failed model request")


class BuiltinToolSettings(_Group):
    """Keys and endpoints of the services built-in tools call; a tool without its key says so when used."""

    serper_api_key: str = ""
    serper_api_base: str = "https://google.serper.dev"
    gaode_api_key: str = ""
    gaode_api_base: str = "https://restapi.amap.com"
    wikipedia_api_base: str = Field("https://en.wikipedia.org/w/api.php", description="A MediaWiki api.php URL")
    duckduckgo_api_base: str = "https://html.duckduckgo.com"
    builtin_tool_http_timeout: float = Field(15.0, gt=0, description="Seconds before a tool's outbound request gives up")
    dalle_http_timeout: float = Field(120.0, gt=0, description="Seconds to wait for an image generation")


class OutboundSettings(_Group):
    """The guard on requests sent on a user's behalf (API tools, fetches, workflow HTTP nodes)."""

    outbound_allow_hosts: str = Field(
        "", description="Comma-separated hostnames or CIDR networks opened despite being private or local"
    )
    outbound_timeout: float = Field(10.0, gt=0, description="Seconds one outbound request may take, redirects included")
    outbound_max_response_bytes: int = Field(1024 * 1024, gt=0, description="Response bytes read before the rest is cut")
    outbound_max_redirects: int = Field(3, ge=0, description="Redirects followed, each hop checked again")
    api_tool_max_response_chars: int = Field(
        4000, gt=0, description="Characters of an API tool's response text handed back to the model"
    )

    @property
    def allow_hosts(self) -> list[str]:
        return [entry.strip() for entry in self.outbound_allow_hosts.split(",") if entry.strip()]


class EmbeddingProvider(str, Enum):
    AUTO = "auto"
    LOCAL = "local"
    OPENAI = "openai"


class EmbeddingSettings(_Group):
    """How segment and query texts become vectors: a local model, or an OpenAI-compatible endpoint."""

    embedding_provider: EmbeddingProvider = Field(
        EmbeddingProvider.AUTO, description="auto: openai when OPENAI_API_KEY is set, otherwise local"
    )
    embedding_model: str = Field("text-embedding-3-small", description="Model name sent to the openai provider")
    embedding_batch_size: int = Field(32, ge=1, le=2048, description="Texts embedded per model call or request")
    embedding_threads: int = Field(1, ge=1, description="CPU threads of the local model")
    embedding_timeout: float = Field(60.0, gt=0, description="Seconds one openai embeddings request may take")


class RerankProvider(str, Enum):
    NONE = "none"
    HTTP = "http"
    CHAT = "chat"


class RerankApiFormat(str, Enum):
    COHERE = "cohere"  # Jina, Cohere, Xinference, vLLM: {model, query, documents, top_n}
    TEI = "tei"  # Text Embeddings Inference: {query, texts}


class RerankSettings(_Group):
    """An optional reranking step over retrieval's best candidates (off by default)."""

    rerank_provider: RerankProvider = Field(
        RerankProvider.NONE, description="none; http: a /rerank endpoint; chat: a chat model of the catalog ranks the candidates"
    )
    rerank_base_url: str = Field("", description="e.g. http://127.0.0.1:8080 or https://api.jina.ai/v1; /rerank is appended")
    rerank_api_key: str = Field("", description="Sent as a bearer token when set")
    rerank_model: str = Field("bge-reranker-v2-m3", description="Model name sent in Jina/Cohere format")
    rerank_api_format: RerankApiFormat = Field(RerankApiFormat.COHERE, description="cohere (also Jina) or tei")
    rerank_candidates: int = Field(20, ge=2, le=200, description="Best candidates of a search handed to the reranker")
    rerank_timeout: float = Field(10.0, gt=0, description="Seconds one rerank request may take")
    rerank_chat_provider: str = Field("", description="With RERANK_PROVIDER=chat: provider name in the model catalog, e.g. openai")
    rerank_chat_model: str = Field("", description="With RERANK_PROVIDER=chat: a model of that provider, e.g. gpt-4o-mini")


class VectorStoreSettings(_Group):
    """Where segment vectors live: Weaviate when WEAVIATE_URL is set, else files under STORAGE_DIR/vector_store."""

    weaviate_url: str = Field("", description="e.g. http://127.0.0.1:8080; empty: the embedded store")
    weaviate_api_key: str = ""
    weaviate_grpc_host: str = Field("", description="Host of Weaviate's gRPC API; empty: the host of WEAVIATE_URL")
    weaviate_grpc_port: int = Field(50051, gt=0, lt=65536)
    weaviate_collection: str = Field("Segment", pattern="^[A-Z][A-Za-z0-9_]*$")
    weaviate_timeout: float = Field(30.0, gt=0, description="Seconds one Weaviate request may take")


class AgentSettings(_Group):
    """The agent runtime and the helper model behind names, summaries and suggestions."""

    agent_max_iterations: int = Field(5, ge=1, le=50, description="Model rounds one run may take before it stops")
    agent_timeout: float = Field(300.0, gt=0, description="Seconds one agent run may take in all")
    agent_ping_interval: float = Field(10.0, gt=0, description="Seconds of silence before a stream sends a ping event")
    agent_tool_workers: int = Field(4, ge=1, description="Tool calls of one model round run at once")
    agent_max_concurrent_runs: int = Field(256, ge=1, description="Agent runs one API process executes at once; more wait their turn")
    helper_model_provider: str = Field("openai", description="Provider of the model that optimizes prompts and suggests questions")
    helper_model: str = Field("gpt-4o-mini", description="That model's name in the catalog")


class OpenApiSettings(_Group):
    """Limits of the open API: every route authenticated with an API key."""

    openapi_rate_limit: str = Field("60/minute", description="Requests one API key may make, e.g. 60/minute, 5/second, 1000/hour")
    openapi_max_concurrent_runs: int = Field(10, ge=1, description="Runs of one app the open API executes at once")
    api_key_cache_ttl: float = Field(5.0, ge=0, le=300, description="Seconds a process reuses an API key it looked up")

    @field_validator("openapi_rate_limit")
    @classmethod
    def _parse_rate(cls, value: str) -> str:
        try:
            limits.parse(value)
        except ValueError:
            raise ValueError("expected a rate such as 60/minute") from None
        return value


class WechatSettings(_Group):
    """The WeChat official-account channel: WeChat's server API and the webhook's time limits."""

    wechat_api_base: str = Field("https://api.weixin.qq.com", description="WeChat's server API (tests point it at a fake)")
    wechat_http_timeout: float = Field(5.0, gt=0, description="Seconds one call to WeChat's API may take")
    wechat_reply_wait: float = Field(
        4.0, gt=0, lt=5, description="Seconds a webhook request waits for the answer before replying that it is coming"
    )
    wechat_timestamp_tolerance: int = Field(300, ge=1, description="Seconds a pushed message's timestamp may be off")
    wechat_server_ip: str = Field("", description="The server's public IP shown for WeChat's IP whitelist")


class WorkflowSettings(_Group):
    """Running workflows: how long a run and each of its nodes may take, and how many nodes run at once."""

    workflow_timeout: float = Field(300.0, gt=0, description="Seconds one workflow run may take in all")
    workflow_node_timeout: float = Field(60.0, gt=0, description="Seconds one node of a run may take")
    workflow_node_workers: int = Field(8, ge=1, le=64, description="Nodes of independent branches of one run that run at once")


class SandboxSettings(_Group):
    """The sandbox code nodes run in (pkg.sandbox): per-run limits and its warm parent processes."""

    code_sandbox_timeout: float = Field(10.0, gt=0, le=600, description="Seconds one run of a code node may take (wall clock)")
    code_sandbox_memory_mb: int = Field(256, ge=64, le=65536, description="Address space of one run, in MiB")
    code_sandbox_cpu_seconds: int = Field(0, ge=0, le=600, description="CPU seconds of one run; 0: the timeout rounded up plus one")
    code_sandbox_max_output_bytes: int = Field(1024 * 1024, gt=0, description="Bytes of a run's result (and printed output)")
    code_sandbox_parents: int = Field(1, ge=1, le=32, description="Warm parent processes per API or worker process")
    code_sandbox_max_concurrent_runs: int = Field(32, ge=1, le=1024, description="Runs one process executes at once; more wait")


class AnalysisSettings(_Group):
    """An app's analysis page (§14): the time zone its days start in and how long figures are reused."""

    analysis_timezone: str = Field("Asia/Shanghai", description="IANA time zone whose midnights split the analysis into days")
    analysis_cache_ttl: int = Field(60, ge=0, le=3600, description="Seconds an app's figures are reused; 0: never cached")

    @field_validator("analysis_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("expected an IANA time zone such as Asia/Shanghai") from None
        return value


class SpeechToTextProvider(str, Enum):
    OPENAI = "openai"
    NONE = "none"


class TextToSpeechProvider(str, Enum):
    OPENAI = "openai"
    ESPEAK = "espeak"
    NONE = "none"


class SpeechSettings(_Group):
    """Speech to text and back (llmops-api.md §16): an OpenAI-compatible audio endpoint, or
    espeak-ng on this machine for text to speech. SPEECH_API_BASE/KEY default to OPENAI_API_*."""

    speech_to_text_provider: SpeechToTextProvider = Field(
        SpeechToTextProvider.OPENAI, description="openai: POST {base}/audio/transcriptions; none: refused"
    )
    speech_to_text_model: str = Field("whisper-1", min_length=1)
    text_to_speech_provider: TextToSpeechProvider = Field(
        TextToSpeechProvider.OPENAI, description="openai: POST {base}/audio/speech; espeak: the espeak-ng binary; none: refused"
    )
    text_to_speech_model: str = Field("tts-1", min_length=1)
    speech_api_base: str = Field("", description="OpenAI-compatible base URL of both; empty: OPENAI_API_BASE")
    speech_api_key: str = Field("", description="Its key; empty: OPENAI_API_KEY")
    speech_timeout: float = Field(60.0, gt=0, description="Seconds one transcription or one sentence's synthesis may take")
    espeak_binary: str = Field("espeak-ng", min_length=1, description="Path or name of the espeak-ng program (TEXT_TO_SPEECH_PROVIDER=espeak)")


class AssistantAgentSettings(_Group):
    """The home page's assistant agent (llmops-api.md §13). Both empty: the first provider of the
    catalog that is configured (its API key set; Ollama: its API base set) with its default model."""

    assistant_agent_provider: str = Field("", description="Provider name in the model catalog, e.g. openai")
    assistant_agent_model: str = Field("", description="Model name of that provider; empty: its default model")
    assistant_agent_app_icon: str = Field(
        "", description="Icon URL of the apps the assistant creates; empty: the built-in icon this API serves"
    )


class ServerSettings(_Group):
    """Where `python -m app.http.serve` and `gunicorn -c app/http/gunicorn_conf.py` listen: the
    main port, plus every AI Stack port of AISTACK_PORTS, in one process."""

    server_host: str = Field("127.0.0.1", min_length=1, description="Address the servers bind (0.0.0.0: every interface)")
    server_port: int = Field(5000, gt=0, lt=65536, description="The platform API's port (also serving /aistack/<system>)")


class AIStackSettings(_Group):
    """AI Stack v2.1 (aistack-api.md): its rate limit, token lifetime and the ports its systems
    are served on (besides /aistack/<system> on the main server)."""

    aistack_rate_limit: str = Field("100/minute", description="Requests one caller may make to AI Stack's systems, e.g. 100/minute")
    aistack_token_expires_in: int = Field(3600, ge=60, le=30 * 24 * 3600, description="Seconds a POST /api/auth/token access token lasts")
    aistack_oauth2_refresh_expires_in: int = Field(
        30 * 24 * 3600, ge=3600, le=365 * 24 * 3600, description="Seconds an OAuth2 refresh token lasts (rotated on every use)"
    )
    aistack_oauth2_code_expires_in: int = Field(600, ge=30, le=3600, description="Seconds an OAuth2 authorization code may wait to be exchanged")
    aistack_oauth2_purge_interval: float = Field(
        3600.0, gt=0, description="Seconds between purges of OAuth2 codes and tokens expired for a day"
    )
    aistack_ports: str = Field(
        "rag=8011,erp=8013,trends=8014,stock=8015,content=8016,tasks=8017,resources=8018,learning=8019,chat=8020",
        description="system=port pairs: a request arriving on that port is served by that system at /api/...; empty: none",
    )

    @field_validator("aistack_rate_limit")
    @classmethod
    def _rate(cls, value: str) -> str:
        try:
            limits.parse(value)
        except ValueError:
            raise ValueError("expected a rate such as 100/minute") from None
        return value

    @field_validator("aistack_ports")
    @classmethod
    def _ports(cls, value: str) -> str:
        for pair in filter(None, (p.strip() for p in value.split(","))):
            name, sep, port = pair.partition("=")
            if not sep or not name.strip() or not port.strip().isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"expected system=port pairs, got {pair!r}")
        return value

    @property
    def port_map(self) -> dict[int, str]:
        """Port → system name."""
        pairs = (p.strip().partition("=") for p in self.aistack_ports.split(",") if p.strip())
        return {int(port): name.strip() for name, _, port in pairs}


class AIStackChatSettings(_Group):
    """AI Stack's chat center (port 8020): the default app, saved context and exports."""

    aistack_chat_app_name: str = Field(
        "AI Stack 对话", min_length=1, max_length=255, description="Name of the chat app made for an account on its first message"
    )
    aistack_chat_context_max_bytes: int = Field(
        16384, ge=256, le=1024 * 1024, description="Largest saved context of a session, as UTF-8 JSON"
    )
    aistack_chat_export_max_messages: int = Field(
        2000, ge=1, le=100000, description="Most messages (the latest) a conversation export holds"
    )


class AIStackReminderSettings(_Group):
    """The chat center's reminders: how often due ones are fired and how their webhooks are retried."""

    aistack_reminder_sweep_interval: float = Field(
        5.0, gt=0, description="Seconds between sweeps that fire due reminders (the most a reminder fires late, plus the sweep's own time)"
    )
    aistack_reminder_webhook_max_attempts: int = Field(
        5, ge=1, le=20, description="Deliveries of one reminder's webhook tried before it is recorded as failed"
    )
    aistack_reminder_webhook_backoff: float = Field(
        30.0, gt=0, description="Seconds before a failed webhook delivery is retried; doubled after each further failure"
    )


class MarketSource(str, Enum):
    SIMULATED = "simulated"
    EASTMONEY = "eastmoney"


class SentimentBackend(str, Enum):
    OFFLINE = "offline"
    LLM = "llm"


class AIStackStockSettings(_Group):
    """AI Stack's stock trading system (port 8015): where prices come from, when the market
    trades, the paper account's starting cash and the A-share fees."""

    stock_market_source: MarketSource = Field(
        MarketSource.SIMULATED, description="simulated: deterministic prices offline; eastmoney: Eastmoney's quote API"
    )
    stock_eastmoney_quote_base: str = Field("https://push2.eastmoney.com", description="Base URL of quotes (api/qt/stock/get)")
    stock_eastmoney_history_base: str = Field(
        "https://push2his.eastmoney.com", description="Base URL of daily bars (api/qt/stock/kline/get)"
    )
    stock_market_timeout: float = Field(10.0, gt=0, description="Seconds one market data request may take")
    stock_trading_hours: bool = Field(
        False, description="Trade only 09:30-11:30 and 13:00-15:00 Asia/Shanghai on weekdays; off: around the clock"
    )
    stock_initial_cash: Decimal = Field(Decimal("1000000"), gt=0, decimal_places=2, description="CNY a new paper account starts with")
    stock_commission_rate: Decimal = Field(Decimal("0.00025"), ge=0, lt=1, description="Broker commission per side, of the amount")
    stock_commission_min: Decimal = Field(Decimal("5"), ge=0, description="Least commission of one fill, CNY")
    stock_stamp_duty_rate: Decimal = Field(Decimal("0.0005"), ge=0, lt=1, description="Stamp duty on sells (0.05 % since 2023-08-28)")
    stock_transfer_fee_rate: Decimal = Field(Decimal("0.00001"), ge=0, lt=1, description="Transfer fee per side, of the amount")
    stock_order_check_interval: float = Field(10.0, gt=0, description="Seconds between checks of open limit and stop orders")
    stock_risk_free_rate: Decimal = Field(Decimal("0.02"), ge=0, lt=1, description="Yearly risk-free rate in Sharpe ratios")
    stock_benchmark: str = Field("000300", pattern=r"^\d{6}$", description="Index the performance is set beside (000300: CSI 300)")


class AIStackTrendsSettings(_Group):
    """AI Stack's trend analysis system (port 8014): the public hot lists it reads, how long a
    collection serves as the cache, the local platform's windows and the sentiment backend."""

    trends_weibo_base: str = Field("https://weibo.com", description="Weibo's host (ajax/side/hotSearch)")
    trends_zhihu_base: str = Field("https://www.zhihu.com", description="Zhihu's host (api/v3/feed/topstory/hot-lists/total)")
    trends_baidu_base: str = Field("https://top.baidu.com", description="Baidu's hot board host (api/board)")
    trends_cache_seconds: int = Field(300, ge=0, description="Seconds a stored collection of a hot list answers before it is fetched again")
    trends_local_window_hours: int = Field(
        24, ge=1, le=24 * 90, description="Length of the local platform's window; growth compares it with the window before"
    )
    trends_local_max_texts: int = Field(5000, ge=100, description="Most recent messages and segments the local platform reads per window")
    trends_sentiment_backend: SentimentBackend = Field(
        SentimentBackend.OFFLINE, description="offline: snownlp (Chinese) / VADER (English); llm: the model below, offline when it fails"
    )
    trends_sentiment_model_provider: str = Field("", description="Provider of the sentiment model; empty: HELPER_MODEL_PROVIDER")
    trends_sentiment_model: str = Field("", description="The sentiment model's name in the catalog; empty: HELPER_MODEL")


class AIStackGraphSettings(_Group):
    """The RAG system's knowledge graph: the model that extracts entities and relationships,
    and the bounds of one Cypher query."""

    aistack_graph_model_provider: str = Field("", description="Provider of the extraction model; empty: HELPER_MODEL_PROVIDER")
    aistack_graph_model: str = Field("", description="The extraction model's name in the catalog; empty: HELPER_MODEL")
    aistack_graph_batch_chars: int = Field(
        4000, ge=500, le=100_000, description="Characters of consecutive chunks of a document sent in one extraction request"
    )
    aistack_graph_query_timeout: float = Field(5.0, gt=0, le=300, description="Seconds one Cypher query may run")
    aistack_graph_max_nodes: int = Field(
        20_000, ge=1, description="Entities an account's graph may hold for queries; a build that would exceed it fails"
    )
    aistack_graph_max_edges: int = Field(
        100_000, ge=1, description="Relationships an account's graph may hold; a build that would exceed it fails"
    )


class AIStackErpSettings(_Group):
    """AI Stack's ERP system: where stock goes when no warehouse is named, and when it is low."""

    aistack_erp_default_warehouse: str = Field(
        "主仓库", min_length=1, max_length=100, description="Warehouse of stock-ins, stock-outs, shipping and production when none is named"
    )
    aistack_erp_low_stock_threshold: int = Field(
        10, ge=0, description="A product's stock in a warehouse at or below this is flagged low, unless the product sets its own"
    )


class AIStackRagSettings(_Group):
    """AI Stack's RAG system (port 8011): its knowledge base, batch size and the bounds and model
    of fact verification."""

    aistack_rag_dataset_name: str = Field(
        "AI Stack RAG", min_length=1, max_length=100, description="Name of the knowledge base each account's RAG documents go to"
    )
    aistack_rag_batch_max_files: int = Field(
        10, ge=1, le=10, description="Files one POST /api/documents/batch-ingest may carry (the console's batch holds 10)"
    )
    aistack_rag_verify_model_provider: str = Field("", description="Provider of the model that checks claims; empty: HELPER_MODEL_PROVIDER")
    aistack_rag_verify_model: str = Field("", description="That model's name; empty: HELPER_MODEL")
    aistack_rag_verify_max_sources: int = Field(10, ge=1, le=100, description="Sources one verification may name")
    aistack_rag_verify_max_content_chars: int = Field(10000, ge=100, description="Characters of the content to verify")
    aistack_rag_verify_max_claims: int = Field(20, ge=1, le=200, description="Claims of the content checked; the rest are ignored")
    aistack_rag_verify_source_chars: int = Field(
        20000, ge=1000, description="Characters of each source (text, fetched page, document) given to the check"
    )
    aistack_rag_verify_threshold: float = Field(0.5, ge=0, le=1, description="Confidence at or above which content counts as verified")


class AIStackContentSettings(_Group):
    """AI Stack's content creation system (port 8016): its model, how often due publications go
    out, and how long a WeChat API call may take."""

    aistack_content_model_provider: str = Field("", description="Provider of the model that writes and optimizes content; empty: HELPER_MODEL_PROVIDER")
    aistack_content_model: str = Field("", description="That model's name in the catalog; empty: HELPER_MODEL")
    aistack_content_publish_interval: float = Field(15.0, gt=0, description="Seconds between sweeps publishing the scheduled publications that are due")
    aistack_content_wechat_timeout: float = Field(10.0, gt=0, le=120, description="Seconds one call of WeChat's draft and publish API may take")


class AIStackTasksSettings(_Group):
    """AI Stack's task agent (port 8017): the model that decomposes and runs tasks, how many
    subtasks a task may have, and how often runs whose worker vanished are looked for."""

    aistack_tasks_model_provider: str = Field("", description="Provider of the model that decomposes and runs tasks; empty: HELPER_MODEL_PROVIDER")
    aistack_tasks_model: str = Field("", description="That model's name; empty: HELPER_MODEL")
    aistack_tasks_max_subtasks: int = Field(20, ge=1, le=100, description="Subtasks one decomposition keeps (the model's extra ones are dropped)")
    aistack_tasks_sweep_interval: float = Field(
        60.0, gt=0, description="Seconds between sweeps that fail task runs whose worker vanished (Celery beat, or a timer embedded)"
    )


class AIStackLearningSettings(_Group):
    """AI Stack's self-learning system (port 8019): how interactions are clustered, the model that
    suggests improvements and writes the improved prompt, and the provider fine-tuning goes to."""

    aistack_learning_model_provider: str = Field("", description="Provider of the model that suggests improvements and prompts; empty: HELPER_MODEL_PROVIDER")
    aistack_learning_model: str = Field("", description="That model's name; empty: HELPER_MODEL")
    aistack_learning_max_interactions: int = Field(500, ge=10, le=5000, description="Newest interactions of an account clustered into patterns")
    aistack_learning_cluster_similarity: float = Field(0.55, gt=0, lt=1, description="Similarity (embeddings and keywords) at which an interaction joins a topic")
    aistack_learning_improvement_clusters: int = Field(3, ge=1, le=20, description="Topics with most negative feedback the model suggests improvements for")
    aistack_learning_min_examples: int = Field(3, ge=2, description="Positively rated interactions a retraining needs (some are held out to evaluate)")
    aistack_learning_holdout_share: float = Field(0.2, gt=0, lt=1, description="Share of positively rated interactions held out to evaluate the improved prompt")
    aistack_learning_max_evaluations: int = Field(20, ge=1, le=200, description="Held-out interactions one evaluation answers (two model calls each)")
    aistack_learning_base_prompt: str = Field("你是一个乐于助人的AI助手。", min_length=1, description="The system prompt the improved prompt is compared with")
    aistack_learning_finetune_provider: str = Field("", description="Provider whose OpenAI-compatible /files and /fine_tuning/jobs receive the data set; empty: none, the data set is only built")
    aistack_learning_finetune_model: str = Field("gpt-4o-mini-2024-07-18", min_length=1, description="Base model a fine-tuning job trains")


class AIStackResourcesSettings(_Group):
    """AI Stack's resource management (port 8018): who may set quotas, how request figures are
    kept, and how a quota's cores become concurrent runs."""

    aistack_admin_emails: str = Field(
        "", description="Comma-separated emails of the accounts that may set resource quotas (POST /api/resources/allocate); empty: nobody"
    )
    aistack_resources_flush_interval: float = Field(
        30.0, gt=0, le=3600, description="Seconds a process keeps its request figures in memory before writing them to the database"
    )
    aistack_resources_retention_days: int = Field(8, ge=7, le=365, description="Days request figures are kept (the longest period is 7d)")
    aistack_resources_runs_per_core: int = Field(
        4, ge=1, le=256, description="Concurrent runs one core of a quota allows (agent runs of an app, code-sandbox runs)"
    )
    aistack_resources_quota_refresh: float = Field(
        5.0, gt=0, le=600, description="Seconds a process reuses the quotas it read before reading them again"
    )
    aistack_metrics_token: str = Field("", description="Bearer token GET /metrics requires; empty: /metrics is open (keep it behind the firewall)")


class Settings(_Group):
    llmops_profile: Profile = Profile.EMBEDDED
    storage: StorageSettings = Field(default_factory=StorageSettings)
    object_storage: ObjectStorageSettings = Field(default_factory=ObjectStorageSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    celery: CelerySettings = Field(default_factory=CelerySettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    oauth: OAuthSettings = Field(default_factory=OAuthSettings)
    providers: ProviderSettings = Field(default_factory=ProviderSettings)
    outbound: OutboundSettings = Field(default_factory=OutboundSettings)
    builtin_tools: BuiltinToolSettings = Field(default_factory=BuiltinToolSettings)
    embeddings: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    vector_store: VectorStoreSettings = Field(default_factory=VectorStoreSettings)
    rerank: RerankSettings = Field(default_factory=RerankSettings)
    agent: AgentSettings = Field(default_factory=AgentSettings)
    open_api: OpenApiSettings = Field(default_factory=OpenApiSettings)
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    wechat: WechatSettings = Field(default_factory=WechatSettings)
    workflow: WorkflowSettings = Field(default_factory=WorkflowSettings)
    analysis: AnalysisSettings = Field(default_factory=AnalysisSettings)
    speech: SpeechSettings = Field(default_factory=SpeechSettings)
    assistant_agent: AssistantAgentSettings = Field(default_factory=AssistantAgentSettings)
    aistack: AIStackSettings = Field(default_factory=AIStackSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    aistack_chat: AIStackChatSettings = Field(default_factory=AIStackChatSettings)
    aistack_reminders: AIStackReminderSettings = Field(default_factory=AIStackReminderSettings)
    aistack_stock: AIStackStockSettings = Field(default_factory=AIStackStockSettings)
    aistack_graph: AIStackGraphSettings = Field(default_factory=AIStackGraphSettings)
    aistack_erp: AIStackErpSettings = Field(default_factory=AIStackErpSettings)
    aistack_rag: AIStackRagSettings = Field(default_factory=AIStackRagSettings)
    aistack_content: AIStackContentSettings = Field(default_factory=AIStackContentSettings)
    aistack_tasks: AIStackTasksSettings = Field(default_factory=AIStackTasksSettings)
    aistack_learning: AIStackLearningSettings = Field(default_factory=AIStackLearningSettings)
    aistack_resources: AIStackResourcesSettings = Field(default_factory=AIStackResourcesSettings)
    aistack_trends: AIStackTrendsSettings = Field(default_factory=AIStackTrendsSettings)

    @property
    def is_production(self) -> bool:
        return self.llmops_profile is Profile.PRODUCTION

    @property
    def storage_dir(self) -> Path:
        return self.storage.storage_dir

    @property
    def database_uri(self) -> str:
        uri = self.database.sqlalchemy_database_uri
        if not uri:
            return f"sqlite:///{self.storage_dir / 'llmops.db'}"
        # SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3; this project ships psycopg2.
        for bare in ("postgresql://", "postgres://"):
            if uri.startswith(bare):
                return "postgresql+psycopg2://" + uri[len(bare) :]
        return uri

    @property
    def uses_sqlite(self) -> bool:
        return self.database_uri.startswith("sqlite")

    @property
    def cors_origins(self) -> list[str]:
        return [o.strip() for o in self.security.cors_allowed_origins.split(",") if o.strip()]

    @cached_property
    def jwt_secret_key(self) -> str:
        """The configured key, or (embedded only) a random one kept under storage/."""
        return self.security.jwt_secret_key or self._kept_secret("jwt_secret_key")

    @cached_property
    def data_secret_key(self) -> str:
        """The configured master secret, or (embedded only) a random one kept under storage/.
        Separate from the JWT key: rotating that one signs everybody out, rotating this one
        would make every encrypted secret unreadable."""
        return self.security.data_secret_key or self._kept_secret("data_secret_key")

    @cached_property
    def secret_box_key(self) -> bytes:
        """The key of pkg.secret_box.SecretBox (bound in the injector)."""
        return derive_key(self.data_secret_key, "llmops/secret-box/v1")

    @cached_property
    def api_key_hash_key(self) -> bytes:
        """The HMAC key of the hashes API keys are looked up by."""
        return derive_key(self.data_secret_key, "llmops/api-key-hash/v1")

    @cached_property
    def oauth2_token_hash_key(self) -> bytes:
        """The HMAC key of the hashes AI Stack's OAuth2 secrets (tokens, codes, client secrets) are kept as."""
        return derive_key(self.data_secret_key, "llmops/aistack-oauth2-hash/v1")

    def _kept_secret(self, name: str) -> str:
        key_file = self.storage_dir / name
        if key_file.exists():
            return key_file.read_text().strip()
        key = secrets.token_urlsafe(48)
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.touch(mode=0o600)
        key_file.write_text(key)
        return key

    def check(self) -> None:
        """Fail start-up with a clear message when production lacks what it needs."""
        if not self.is_production:
            return
        required = {
            "JWT_SECRET_KEY": self.security.jwt_secret_key,
            "DATA_SECRET_KEY": self.security.data_secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database.sqlalchemy_database_uri,
            "REDIS_URL": self.redis.redis_url,
            "CELERY_BROKER_URL": self.celery.celery_broker_url,
        }
        missing = [name for name, value in required.items() if not value]
        if missing:
            raise RuntimeError(
                f"LLMOPS_PROFILE=production requires these settings: {', '.join(missing)} "
                "(see .env.example)"
            )
        for name, value in (("JWT_SECRET_KEY", self.security.jwt_secret_key), ("DATA_SECRET_KEY", self.security.data_secret_key)):
            if len(value) < 32:
                raise RuntimeError(f"{name} must be at least 32 characters in production")
