"""The Weaviate backend against a fake Weaviate (REST and gRPC on 127.0.0.1) and, when
WEAVIATE_URL is set (plus WEAVIATE_GRPC_PORT, WEAVIATE_API_KEY if needed), against that real
server (1.27+); each run uses a collection of its own and drops it afterwards."""

import math
import os
import uuid

import pytest
import weaviate

from config.settings import VectorStoreSettings
from internal.extension.kv_store.embedded_store import EmbeddedStore
from internal.extension.vector_store import VectorRecord, create_vector_store
from internal.extension.vector_store.weaviate_store import WeaviateError, WeaviateVectorStore, connection_params
from test.conftest import make_settings
from test.fakes.weaviate_server import FakeWeaviate

WEAVIATE_URL = os.environ.get("WEAVIATE_URL", "")
DIM = 8


def settings(**values) -> VectorStoreSettings:
    return VectorStoreSettings(_env_file=None, **values)


# -- without a server -----------------------------------------------------------------------


def test_the_factory_picks_weaviate_when_its_url_is_set_and_connects_lazily(tmp_path):
    configured = make_settings(tmp_path, vector_store=settings(weaviate_url="http://127.0.0.1:9", weaviate_collection="Chunk"))
    store = create_vector_store(configured, EmbeddedStore(tmp_path / "kv"))
    assert isinstance(store, WeaviateVectorStore)
    assert store.collection_name == "Chunk"
    assert not (tmp_path / "vector_store").exists()


def test_connection_parameters_follow_the_settings():
    params = connection_params(settings(weaviate_url="https://vectors.example.com", weaviate_api_key="key", weaviate_grpc_port=443))
    assert (params["http_host"], params["http_port"], params["http_secure"]) == ("vectors.example.com", 443, True)
    assert (params["grpc_host"], params["grpc_port"], params["grpc_secure"]) == ("vectors.example.com", 443, True)
    assert params["auth_credentials"].api_key == "key"

    params = connection_params(settings(weaviate_url="http://10.0.0.5:8080", weaviate_grpc_host="10.0.0.6"))
    assert (params["http_host"], params["http_port"], params["http_secure"]) == ("10.0.0.5", 8080, False)
    assert (params["grpc_host"], params["grpc_port"], params["grpc_secure"]) == ("10.0.0.6", 50051, False)
    assert params["auth_credentials"] is None
    assert params["additional_config"].timeout.query == 30

    with pytest.raises(RuntimeError, match="WEAVIATE_URL"):
        connection_params(settings(weaviate_url="127.0.0.1:8080"))


def test_an_unreachable_weaviate_is_reported_when_used():
    store = WeaviateVectorStore(settings(weaviate_url="http://127.0.0.1:9"))  # nothing listens on port 9
    with pytest.raises(WeaviateError, match="cannot reach Weaviate at http://127.0.0.1:9"):
        store.search([uuid.uuid4()], [1.0] * DIM, k=3)


# -- against a real server --------------------------------------------------------------------

def unit(angle_degrees: float) -> list[float]:
    vector = [0.0] * DIM
    vector[0], vector[1] = math.cos(math.radians(angle_degrees)), math.sin(math.radians(angle_degrees))
    return vector


def record(dataset_id, angle, document_id=None, segment_id=None, enabled=True) -> VectorRecord:
    return VectorRecord(
        segment_id=segment_id or uuid.uuid4(),
        document_id=document_id or uuid.uuid4(),
        dataset_id=dataset_id,
        vector=unit(angle),
        enabled=enabled,
    )


@pytest.fixture(scope="module")
def fake_weaviate():
    server = FakeWeaviate(api_key="test-weaviate-key").start()
    yield server
    server.stop()


@pytest.fixture(params=["fake", "server"])
def weaviate_settings(request) -> VectorStoreSettings:
    collection = f"LlmopsTest{uuid.uuid4().hex[:10]}"
    if request.param == "fake":
        fake = request.getfixturevalue("fake_weaviate")
        return settings(
            weaviate_url=fake.url, weaviate_api_key=fake.api_key, weaviate_grpc_port=fake.grpc_port, weaviate_collection=collection
        )
    if not WEAVIATE_URL:
        pytest.skip("set WEAVIATE_URL (e.g. http://127.0.0.1:8080) to test against a real Weaviate server too")
    return settings(
        weaviate_url=WEAVIATE_URL,
        weaviate_api_key=os.environ.get("WEAVIATE_API_KEY", ""),
        weaviate_grpc_host=os.environ.get("WEAVIATE_GRPC_HOST", ""),
        weaviate_grpc_port=int(os.environ.get("WEAVIATE_GRPC_PORT", "50051")),
        weaviate_collection=collection,
    )


@pytest.fixture
def store(weaviate_settings):
    store = WeaviateVectorStore(weaviate_settings)
    yield store
    store.close()
    with weaviate.connect_to_custom(**connection_params(weaviate_settings)) as client:
        client.collections.delete(weaviate_settings.weaviate_collection)


def ids(hits):
    return [hit.segment_id for hit in hits]


def everything(store, *dataset_ids):
    return store.search(list(dataset_ids), unit(0), k=100)


def test_search_ranks_by_cosine_within_k_and_threshold(store):
    dataset, other = uuid.uuid4(), uuid.uuid4()
    records = [record(dataset, angle) for angle in (60, 10, 80, 30)]
    store.upsert([*records, record(other, 0)])

    hits = store.search([dataset], unit(0), k=3)
    assert ids(hits) == [records[1].segment_id, records[3].segment_id, records[0].segment_id]
    assert [hit.score for hit in hits] == pytest.approx([math.cos(math.radians(a)) for a in (10, 30, 60)], abs=1e-4)
    assert ids(store.search([dataset], unit(0), k=10, score_threshold=0.8)) == [records[1].segment_id, records[3].segment_id]
    assert len(store.search([dataset, other], unit(0), k=10)) == 5
    assert store.search([uuid.uuid4()], unit(0), k=3) == []


def test_search_may_be_restricted_to_some_documents(store):
    dataset, kept = uuid.uuid4(), uuid.uuid4()
    best, second, far = record(dataset, 0), record(dataset, 30, kept), record(dataset, 60, kept)
    store.upsert([best, second, far])

    assert ids(store.search([dataset], unit(0), k=1, document_ids=[kept])) == [second.segment_id]
    assert ids(store.search([dataset], unit(0), k=5, document_ids=[kept])) == [second.segment_id, far.segment_id]
    assert store.search([dataset], unit(0), k=5, document_ids=[]) == []


def test_enabled_flags_and_idempotent_upserts(store):
    dataset, segment = uuid.uuid4(), uuid.uuid4()
    off = record(dataset, 20, enabled=False)
    store.upsert([record(dataset, 70, segment_id=segment), off])
    store.upsert([record(dataset, 10, segment_id=segment)])
    [hit] = everything(store, dataset)
    assert hit.segment_id == segment and hit.score == pytest.approx(math.cos(math.radians(10)), abs=1e-4)

    store.set_enabled([off.segment_id], True)
    store.set_enabled([segment], False)
    store.set_enabled([uuid.uuid4()], True)
    assert ids(everything(store, dataset)) == [off.segment_id]
    # The flag changed, the vector stayed.
    store.set_enabled([segment], True)
    assert ids(everything(store, dataset)) == [segment, off.segment_id]


def test_deletes_and_a_new_client_sees_the_same_data(store, weaviate_settings):
    dataset, other, document = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    of_document = [record(dataset, angle, document_id=document) for angle in (10, 20, 30)]
    loose, elsewhere = record(dataset, 40), record(other, 5)
    store.upsert([*of_document, loose, elsewhere])

    store.delete_segments([of_document[0].segment_id, uuid.uuid4()])
    assert ids(everything(store, dataset)) == [of_document[1].segment_id, of_document[2].segment_id, loose.segment_id]
    store.delete_document(document)
    assert ids(everything(store, dataset)) == [loose.segment_id]

    restarted = WeaviateVectorStore(weaviate_settings)
    try:
        assert ids(everything(restarted, dataset)) == [loose.segment_id]
        restarted.delete_dataset(dataset)
        assert everything(restarted, dataset) == []
        assert ids(everything(restarted, other)) == [elsewhere.segment_id]
    finally:
        restarted.close()


# -- what the fake lets us see ------------------------------------------------------------------


def fake_settings(fake: FakeWeaviate, **values) -> VectorStoreSettings:
    return settings(weaviate_url=fake.url, weaviate_api_key=fake.api_key, weaviate_grpc_port=fake.grpc_port, **values)


def test_the_collection_is_created_once_with_a_cosine_named_vector(fake_weaviate):
    name = f"LlmopsTest{uuid.uuid4().hex[:10]}"
    first = WeaviateVectorStore(fake_settings(fake_weaviate, weaviate_collection=name))
    second = WeaviateVectorStore(fake_settings(fake_weaviate, weaviate_collection=name))
    dataset = uuid.uuid4()
    first.upsert([record(dataset, 10)])
    second.upsert([record(dataset, 20)])  # finds the collection the other one made
    try:
        schema = fake_weaviate.schemas[name]
        assert schema["vectorConfig"] == {
            "embedding": {"vectorizer": {"none": {}}, "vectorIndexType": "hnsw", "vectorIndexConfig": {"distance": "cosine"}}
        }
        assert {p["name"]: (p["dataType"], p.get("tokenization")) for p in schema["properties"]} == {
            "dataset_id": (["text"], "field"),
            "document_id": (["text"], "field"),
            "segment_id": (["text"], "field"),
            "enabled": (["boolean"], None),
        }
        assert len(everything(second, dataset)) == 2
        creations = [r for r in fake_weaviate.requests if r.method == "POST" and r.path == "/v1/schema" and r.json()["class"] == name]
        assert len(creations) == 1
        assert all(r.headers.get("authorization") == "Bearer test-weaviate-key" for r in fake_weaviate.requests)
    finally:
        first.close()
        second.close()


def test_large_deletes_repeat_until_nothing_matches(fake_weaviate, monkeypatch):
    monkeypatch.setattr(fake_weaviate, "query_maximum_results", 3)
    store = WeaviateVectorStore(fake_settings(fake_weaviate, weaviate_collection=f"LlmopsTest{uuid.uuid4().hex[:10]}"))
    try:
        dataset, document = uuid.uuid4(), uuid.uuid4()
        store.upsert([record(dataset, angle, document_id=document) for angle in range(10)])
        store.upsert([record(dataset, 50)])
        store.delete_document(document)
        assert len(everything(store, dataset)) == 1
    finally:
        store.close()


def test_vectors_of_another_length_are_reported(fake_weaviate):
    store = WeaviateVectorStore(fake_settings(fake_weaviate, weaviate_collection=f"LlmopsTest{uuid.uuid4().hex[:10]}"))
    try:
        dataset = uuid.uuid4()
        store.upsert([record(dataset, 10)])
        short = VectorRecord(segment_id=uuid.uuid4(), document_id=uuid.uuid4(), dataset_id=dataset, vector=[1.0, 0.0])
        with pytest.raises(WeaviateError, match="rejected 1 of 1 vectors"):
            store.upsert([short])
    finally:
        store.close()
