"""The reranking step: the HTTP backend against a fake `/rerank` endpoint (Jina/Cohere and TEI
forms), the chat-model backend against the fake OpenAI server, the configuration switch, and
retrieval reordering its best candidates on both profiles."""

import time
import uuid
from collections.abc import Iterator

import pytest

from config.settings import RerankSettings
from internal.core.language_model.factory import LanguageModelFactory
from internal.core.rerank import ChatReranker, HttpReranker, KeepOrder, Reranker, RerankError, create_reranker
from internal.extension.database import db
from internal.service.account_service import AccountService
from internal.service.retrieval_service import RetrievalService
from test.core.test_retrieval import ALICE, DAODEJING, HOLMES, LUNYU, KnowledgeBase
from test.fakes.openai_server import ChatReply, ToolCall
from test.fakes.rerank_server import FakeRerank

API_KEY = "rk-test-fake"


@pytest.fixture(scope="module")
def fake_rerank() -> Iterator[FakeRerank]:
    server = FakeRerank(API_KEY).start()
    yield server
    server.stop()


@pytest.fixture
def rerank_server(fake_rerank) -> FakeRerank:
    fake_rerank.requests.clear()
    fake_rerank.score_phrases({})
    return fake_rerank


def http_settings(server: FakeRerank, **overrides) -> RerankSettings:
    values = {"rerank_provider": "http", "rerank_base_url": server.url, "rerank_api_key": API_KEY, **overrides}
    return RerankSettings(_env_file=None, **values)


def test_cohere_format_sends_the_candidates_and_orders_by_relevance_score(rerank_server):
    rerank_server.score_phrases({"watch": 0.9, "tired": 0.4, "hole": 0.1})
    reranker = create_reranker(http_settings(rerank_server, rerank_model="jina-reranker-v2"))
    texts = ["Alice was very tired.", "Down the rabbit hole.", "The White Rabbit took a watch out."]

    assert reranker.rerank("what did the rabbit take out?", texts) == [2, 0, 1]
    (body,) = rerank_server.bodies()
    assert body == {"model": "jina-reranker-v2", "query": "what did the rabbit take out?", "documents": texts, "top_n": 3}
    assert rerank_server.requests[-1].headers["authorization"] == f"Bearer {API_KEY}"


def test_tei_format_sends_texts_and_reads_its_list_answer(rerank_server):
    rerank_server.score_phrases({"善": 0.8})
    reranker = create_reranker(http_settings(rerank_server, rerank_api_format="tei"))

    assert reranker.rerank("水", DAODEJING) == [1, 0]
    (body,) = rerank_server.bodies()
    assert body["texts"] == DAODEJING and body["query"] == "水" and "documents" not in body


def test_failures_and_malformed_answers_raise_rerank_errors(rerank_server, fake_llm):
    reranker = create_reranker(http_settings(rerank_server))
    rerank_server.fail_next()
    with pytest.raises(RerankError):
        reranker.rerank("q", ["a", "b"])
    with pytest.raises(RerankError):
        create_reranker(http_settings(rerank_server, rerank_api_key="wrong")).rerank("q", ["a", "b"])
    # A server without the endpoint (the OpenAI fake answers 404 there).
    with pytest.raises(RerankError):
        HttpReranker(fake_llm.url, "", "m", "cohere", 20, 5.0).rerank("q", ["a", "b"])
    assert reranker.rerank("q", []) == []


def test_configuration_switches_the_backend():
    assert isinstance(create_reranker(RerankSettings(_env_file=None)), KeepOrder)
    assert not create_reranker(RerankSettings(_env_file=None)).active
    with pytest.raises(RuntimeError, match="RERANK_BASE_URL"):
        create_reranker(RerankSettings(_env_file=None, rerank_provider="http"))
    reranker = create_reranker(
        RerankSettings(_env_file=None, rerank_provider="http", rerank_base_url="http://127.0.0.1:9/v1/", rerank_candidates=7)
    )
    assert isinstance(reranker, HttpReranker) and reranker.active
    assert reranker.url == "http://127.0.0.1:9/v1/rerank" and reranker.candidates == 7


def chat_settings(**overrides) -> RerankSettings:
    values = {"rerank_provider": "chat", "rerank_chat_provider": "openai", "rerank_chat_model": "gpt-4o-mini", **overrides}
    return RerankSettings(_env_file=None, **values)


def ranking(*numbers: int) -> ChatReply:
    return ChatReply(tool_calls=[ToolCall("PassageRanking", {"ranking": list(numbers)})])


def test_chat_reranker_asks_the_model_for_the_passages_order(app, llm):
    reranker = create_reranker(chat_settings(rerank_candidates=3), app.extensions["injector"].get(LanguageModelFactory))
    assert isinstance(reranker, ChatReranker) and reranker.active and reranker.candidates == 3
    llm.script_chat("上善若水", ranking(1))

    # Numbers the model leaves out follow in retrieval's order.
    assert reranker.rerank("什么像水一样好？", LUNYU[:1] + DAODEJING) == [1, 0, 2]
    (body,) = llm.chat_requests("上善若水")
    assert body["model"] == "gpt-4o-mini"
    assert body["tool_choice"]["function"]["name"] == "PassageRanking"
    prompt = body["messages"][-1]["content"]
    assert "什么像水一样好？" in prompt and f"[1] {DAODEJING[0]}" in prompt and f"[0] {LUNYU[0]}" in prompt
    assert reranker.rerank("one", ["only"]) == [0] and len(llm.chat_requests()) == 1  # nothing to order


def test_chat_reranker_answers_of_the_wrong_shape_and_failures_are_rerank_errors(app, llm):
    reranker = create_reranker(chat_settings(), app.extensions["injector"].get(LanguageModelFactory))
    llm.script_chat("rabbit", ranking(0, 7), ranking(1, 1), "no function call", ChatReply(status=500, error_message="down"))
    for _ in range(4):
        with pytest.raises(RerankError):
            reranker.rerank("rabbit", ALICE)


def test_chat_reranker_gives_up_after_its_timeout_without_retrying(app, llm):
    factory = app.extensions["injector"].get(LanguageModelFactory)
    # Chat turns retry a failed model call; the reranker must not (a search waits for it).
    retrying = factory.settings.model_copy(
        update={"providers": factory.settings.providers.model_copy(update={"llm_max_retries": 2})}
    )
    reranker = create_reranker(chat_settings(rerank_timeout=0.5), LanguageModelFactory(retrying, factory.catalog))
    llm.script_chat("slow rabbit", ChatReply(tool_calls=[ToolCall("PassageRanking", {"ranking": [1, 0]})], delay=3))
    started = time.monotonic()
    with pytest.raises(RerankError):
        reranker.rerank("slow rabbit", ALICE[:2])
    assert time.monotonic() - started < 2.5
    assert len(llm.chat_requests("slow rabbit")) == 1


def test_chat_reranker_configuration_is_checked_at_start(app):
    language_models = app.extensions["injector"].get(LanguageModelFactory)
    with pytest.raises(RuntimeError, match="RERANK_CHAT_PROVIDER"):
        create_reranker(chat_settings(rerank_chat_model=""), language_models)
    with pytest.raises(RuntimeError, match="not a model of the catalog"):
        create_reranker(chat_settings(rerank_chat_model="no-such-model"), language_models)


@pytest.fixture
def kb(app):
    with app.app_context():
        account = app.extensions["injector"].get(AccountService).create_account(
            f"rerank-{uuid.uuid4().hex[:10]}@example.com", "secret123", "rerank"
        )
        yield KnowledgeBase(app, account.id)
        db.session.rollback()


@pytest.fixture
def reranking(kb, rerank_server):
    """The app's retrieval with the HTTP reranker bound for this test; the default afterwards."""
    injector = kb.app.extensions["injector"]
    before = injector.get(Reranker)
    injector.binder.bind(Reranker, to=create_reranker(http_settings(rerank_server, rerank_candidates=5)))
    yield rerank_server
    injector.binder.bind(Reranker, to=before)


def test_retrieval_takes_the_rerankers_order_among_its_best_candidates(kb, reranking):
    dataset = kb.dataset()
    kb.document(dataset, LUNYU + DAODEJING + ALICE + HOLMES)
    service = kb.injected(RetrievalService)
    query = "Alice and Holmes"
    plain = [s.content for s in _search_without_reranker(kb, dataset, query)]
    # The reranker prefers retrieval's last (beyond k); "" matches every text, so the others
    # tie and keep retrieval's order.
    assert len(plain) > 2
    reranking.score_phrases({plain[-1]: 0.99, "": 0.5})

    found = service.search(kb.account_id, [dataset], query, "full_text", 2, 0.0)

    assert [s.content for s in found] == [plain[-1], plain[0]]
    (body,) = reranking.bodies()
    # The reranker saw the configured number of best candidates (more than k), in retrieval's order.
    assert body["query"] == query and body["documents"] == plain[:5]


def test_a_failing_reranker_keeps_retrievals_order(kb, reranking):
    dataset = kb.dataset()
    kb.document(dataset, ALICE + HOLMES)
    plain = [s.id for s in _search_without_reranker(kb, dataset, "Holmes Alice rabbit", k=3)]
    reranking.fail_next()

    found = kb.injected(RetrievalService).search(kb.account_id, [dataset], "Holmes Alice rabbit", "full_text", 3, 0.0)

    assert [s.id for s in found] == plain
    assert len(reranking.bodies()) == 1


def test_retrieval_takes_the_chat_models_order(kb, llm):
    dataset = kb.dataset()
    kb.document(dataset, ALICE + HOLMES)
    query = "Holmes Alice rabbit"
    plain = [s.content for s in _search_without_reranker(kb, dataset, query, k=3)]
    assert len(plain) == 3
    llm.script_chat(query, ranking(2, 0, 1))
    injector = kb.app.extensions["injector"]
    before = injector.get(Reranker)
    injector.binder.bind(Reranker, to=create_reranker(chat_settings(rerank_candidates=3), injector.get(LanguageModelFactory)))
    try:
        found = kb.injected(RetrievalService).search(kb.account_id, [dataset], query, "full_text", 2, 0.0)
    finally:
        injector.binder.bind(Reranker, to=before)
    assert [s.content for s in found] == [plain[2], plain[0]]


def _search_without_reranker(kb, dataset: uuid.UUID, query: str, k: int = 10):
    service = kb.injected(RetrievalService)
    service.reranker = KeepOrder()
    return service.search(kb.account_id, [dataset], query, "full_text", k, 0.0)
