import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from config.settings import EmbeddingProvider, EmbeddingSettings, ProviderSettings
from internal.core.embeddings import create_embeddings, resolve_provider
from internal.core.embeddings.local_embeddings import EmbeddingModelError, LocalEmbeddings, _model_process
from langchain_openai import OpenAIEmbeddings
from test.conftest import make_settings
from test.fakes.openai_server import FakeOpenAI, fake_embedding


def cosine(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.fixture(scope="module")
def local() -> LocalEmbeddings:
    return LocalEmbeddings(batch_size=4)


@pytest.fixture
def fake_openai():
    server = FakeOpenAI(api_key="sk-test-embeddings", dimensions=64).start()
    yield server
    server.stop()


def settings_for(tmp_path, provider=EmbeddingProvider.AUTO, api_key="", api_base="", **embedding_options):
    return make_settings(
        tmp_path,
        embeddings=EmbeddingSettings(_env_file=None, embedding_provider=provider, **embedding_options),
        providers=ProviderSettings(_env_file=None, openai_api_key=api_key, openai_api_base=api_base),
    )


# -- local model ------------------------------------------------------------------------


def test_local_model_embeds_chinese_and_english_as_unit_vectors(local):
    vectors = local.embed_documents(["今天天气很好", "The weather is nice today", ""])
    assert len(vectors) == 3
    for vector in vectors:
        assert len(vector) == local.dimension == 512
        assert all(isinstance(value, float) for value in vector)
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-4)
    assert len(local.embed_query("查询")) == 512
    assert local.embed_documents([]) == []


def test_local_model_ranks_similar_sentences_above_unrelated_ones(local):
    query = local.embed_query("如何申请退款？")
    related, unrelated = local.embed_documents(["退款申请的流程是什么", "北京今天下大雪，交通拥堵"])
    assert cosine(query, related) > cosine(query, unrelated) + 0.2

    query = local.embed_query("How do I reset my password?")
    related, unrelated = local.embed_documents(["Steps to change a forgotten password", "The stock market fell sharply"])
    assert cosine(query, related) > cosine(query, unrelated) + 0.2


def test_local_model_matches_across_languages(local):
    chinese, english, unrelated = local.embed_documents(["今天的天气非常好", "The weather is very nice today", "股票市场大幅下跌"])
    assert cosine(chinese, english) > 0.7
    assert cosine(chinese, english) > cosine(english, unrelated) + 0.3


def test_local_model_gives_the_same_vector_alone_and_in_a_batch(local):
    texts = [f"第{i}段：知识库把文档切成片段，再把片段变成向量。" for i in range(10)] + ["A segment in English."]
    batch = np.asarray(local.embed_documents(texts))  # batch_size=4: three model calls
    for i in (0, 5, 10):
        assert np.allclose(batch[i], local.embed_query(texts[i]), atol=1e-5)


def test_local_model_runs_in_its_own_process_which_outlives_a_failed_batch(local):
    local.embed_query("启动")
    process = _model_process(local.threads)._process
    assert process.pid != os.getpid()
    with pytest.raises(EmbeddingModelError, match="TypeError"):
        local.encode([None])
    assert len(local.embed_query("still there")) == 512
    assert _model_process(local.threads)._process is process


def test_local_model_process_is_started_again_after_it_dies(local):
    expected = local.embed_query("重启以后向量不变")
    process = _model_process(local.threads)._process
    process.kill()
    process.wait()
    assert np.allclose(local.embed_query("重启以后向量不变"), expected, atol=1e-6)
    assert _model_process(local.threads)._process.pid != process.pid


@pytest.mark.skipif(shutil.which("unshare") is None, reason="unshare is not available")
def test_local_model_needs_no_network():
    script = (
        "from internal.core.embeddings.local_embeddings import LocalEmbeddings;"
        "v = LocalEmbeddings().embed_documents(['离线也能用', 'works offline']);"
        "assert len(v) == 2 and len(v[0]) == 512; print('ok')"
    )
    # A user namespace with its own network namespace: only a loopback device, down.
    probe = subprocess.run(["unshare", "-r", "-n", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"unshare -r -n is not permitted here: {probe.stderr.decode().strip()}")
    result = subprocess.run(["unshare", "-r", "-n", sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


# -- OpenAI-compatible endpoint ------------------------------------------------------------


def test_openai_backend_sends_plain_strings_with_the_key_and_model(tmp_path, fake_openai):
    settings = settings_for(
        tmp_path,
        EmbeddingProvider.OPENAI,
        api_key="sk-test-embeddings",
        api_base=fake_openai.api_base,
        embedding_model="text-embedding-3-small",
        embedding_batch_size=2,
    )
    embeddings = create_embeddings(settings)
    texts = ["第一段 knowledge", "second segment", "第三段"]

    vectors = embeddings.embed_documents(texts)
    query = embeddings.embed_query("second segment")

    assert np.allclose(vectors, [fake_embedding(text, 64) for text in texts], atol=1e-6)
    assert np.allclose(query, fake_embedding("second segment", 64), atol=1e-6)
    requests = fake_openai.requests_to("POST /v1/embeddings")
    assert [request.json()["input"] for request in requests] == [texts[:2], texts[2:], ["second segment"]]
    for request in requests:
        assert request.headers["authorization"] == "Bearer sk-test-embeddings"
        assert request.json()["model"] == "text-embedding-3-small"


def test_openai_backend_uses_the_configured_model_and_retries_server_errors(tmp_path, fake_openai):
    settings = settings_for(
        tmp_path, api_key="sk-test-embeddings", api_base=fake_openai.api_base, embedding_model="bge-m3"
    )
    fake_openai.fail_next("POST /v1/embeddings", 500, "overloaded")
    vector = create_embeddings(settings).embed_query("hello")
    assert np.allclose(vector, fake_embedding("hello", 64), atol=1e-6)
    requests = fake_openai.requests_to("POST /v1/embeddings")
    assert len(requests) == 2 and all(r.json()["model"] == "bge-m3" for r in requests)


def test_openai_backend_reports_a_rejected_key(tmp_path, fake_openai):
    settings = settings_for(tmp_path, api_key="sk-wrong", api_base=fake_openai.api_base)
    with pytest.raises(Exception, match="Incorrect API key"):
        create_embeddings(settings).embed_query("hello")


# -- factory ----------------------------------------------------------------------------


def test_auto_uses_openai_only_when_a_key_is_configured(tmp_path):
    assert resolve_provider(settings_for(tmp_path)) is EmbeddingProvider.LOCAL
    assert isinstance(create_embeddings(settings_for(tmp_path)), LocalEmbeddings)
    with_key = settings_for(tmp_path, api_key="sk-test")
    assert resolve_provider(with_key) is EmbeddingProvider.OPENAI
    assert isinstance(create_embeddings(with_key), OpenAIEmbeddings)


def test_an_explicit_provider_wins_over_the_key(tmp_path):
    local = create_embeddings(settings_for(tmp_path, EmbeddingProvider.LOCAL, api_key="sk-test", embedding_batch_size=8))
    assert isinstance(local, LocalEmbeddings) and local.batch_size == 8
    with pytest.raises(RuntimeError, match="OPENAI_API_KEY"):
        create_embeddings(settings_for(tmp_path, EmbeddingProvider.OPENAI))


def test_the_app_binds_the_configured_embeddings(tmp_path):
    from internal.server import create_app
    from langchain_core.embeddings import Embeddings

    app = create_app(make_settings(tmp_path))
    assert isinstance(app.extensions["injector"].get(Embeddings), LocalEmbeddings)
