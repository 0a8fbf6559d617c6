import json
import math
import multiprocessing
import threading
import uuid
from pathlib import Path

import numpy as np
import pytest
import redis

from internal.extension.kv_store import KeyValueStore
from internal.extension.kv_store.embedded_store import EmbeddedStore
from internal.extension.kv_store.redis_store import RedisStore
from internal.extension.vector_store import (
    VectorDimensionError,
    VectorHit,
    VectorRecord,
    VectorStore,
    create_vector_store,
)
from internal.extension.vector_store.embedded_store import EmbeddedVectorStore
from test.conftest import TEST_REDIS_URL, make_settings, services_unavailable

DIM = 16


def unit(angle_degrees: float, axis: int = 1) -> list[float]:
    """A unit vector whose cosine similarity to `query()` is cos(angle)."""
    vector = [0.0] * DIM
    vector[0] = math.cos(math.radians(angle_degrees))
    vector[axis] = math.sin(math.radians(angle_degrees))
    return vector


def query() -> list[float]:
    return unit(0)


def record(dataset_id, vector, document_id=None, segment_id=None, enabled=True) -> VectorRecord:
    return VectorRecord(
        segment_id=segment_id or uuid.uuid4(),
        document_id=document_id or uuid.uuid4(),
        dataset_id=dataset_id,
        vector=vector,
        enabled=enabled,
    )


def ids(hits: list[VectorHit]) -> list[uuid.UUID]:
    return [hit.segment_id for hit in hits]


def all_hits(store: VectorStore, *dataset_ids) -> list[VectorHit]:
    return store.search(list(dataset_ids), query(), k=100_000)


# -- fixtures: a real key-value store for the locks, embedded or Redis ----------------------


def make_kv_store(kind: str, directory: Path) -> KeyValueStore:
    return RedisStore(TEST_REDIS_URL) if kind == "redis" else EmbeddedStore(directory / "kv")


@pytest.fixture(params=["embedded", "redis"])
def kv_kind(request) -> str:
    if request.param == "redis":
        try:
            redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=3).ping()
        except redis.RedisError as exc:
            services_unavailable(f"Redis is not reachable: {exc}")
    return request.param


@pytest.fixture
def directory(tmp_path) -> Path:
    return tmp_path / "vector_store"


@pytest.fixture
def store(kv_kind, tmp_path, directory) -> EmbeddedVectorStore:
    return EmbeddedVectorStore(directory, make_kv_store(kv_kind, tmp_path))


# -- what a caller sees ---------------------------------------------------------------------


def test_search_returns_the_k_most_similar_best_first_with_cosine_scores(store):
    dataset = uuid.uuid4()
    records = [record(dataset, unit(angle)) for angle in (60, 10, 80, 30, 45)]
    store.upsert(records)

    hits = store.search([dataset], query(), k=3)

    assert ids(hits) == [records[1].segment_id, records[3].segment_id, records[4].segment_id]
    assert [hit.score for hit in hits] == pytest.approx([math.cos(math.radians(a)) for a in (10, 30, 45)], abs=1e-5)
    assert len(store.search([dataset], query(), k=10)) == 5
    assert store.search([dataset], query(), k=0) == []


def test_scores_are_clipped_to_zero_one_and_the_threshold_is_inclusive(store):
    dataset = uuid.uuid4()
    same, close, opposite = record(dataset, unit(0)), record(dataset, unit(60)), record(dataset, unit(180))
    store.upsert([same, close, opposite])

    hits = store.search([dataset], query(), k=10)
    assert ids(hits) == [same.segment_id, close.segment_id, opposite.segment_id]
    assert hits[0].score == pytest.approx(1.0) and hits[0].score <= 1.0
    assert hits[2].score == 0.0  # cosine -1 clipped

    assert ids(store.search([dataset], query(), k=10, score_threshold=0.5)) == [same.segment_id, close.segment_id]
    assert ids(store.search([dataset], query(), k=10, score_threshold=0.51)) == [same.segment_id]
    assert ids(store.search([dataset], query(), k=10, score_threshold=1.0)) == [same.segment_id]


def test_vectors_need_not_be_normalised(store):
    dataset = uuid.uuid4()
    long = record(dataset, [10 * value for value in unit(30)])
    store.upsert([long])
    [hit] = store.search([dataset], [3 * value for value in query()], k=1)
    assert hit.score == pytest.approx(math.cos(math.radians(30)), abs=1e-5)


def test_search_merges_several_datasets_and_ignores_the_others(store):
    first, second, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    a, b, c = record(first, unit(20)), record(second, unit(10)), record(first, unit(40))
    store.upsert([a, b, c, record(other, unit(0))])

    assert ids(store.search([first, second], query(), k=10)) == [b.segment_id, a.segment_id, c.segment_id]
    assert ids(store.search([first, second, first], query(), k=2)) == [b.segment_id, a.segment_id]
    assert store.search([uuid.uuid4()], query(), k=5) == []
    assert store.search([], query(), k=5) == []


def test_search_may_be_restricted_to_some_documents(store):
    dataset = uuid.uuid4()
    kept, dropped = uuid.uuid4(), uuid.uuid4()
    best, second, far = record(dataset, unit(0), dropped), record(dataset, unit(30), kept), record(dataset, unit(60), kept)
    store.upsert([best, second, far])

    # The k best of the chosen documents, however many better ones the others hold.
    assert ids(store.search([dataset], query(), k=1, document_ids=[kept])) == [second.segment_id]
    assert ids(store.search([dataset], query(), k=5, document_ids=[kept, uuid.uuid4()])) == [second.segment_id, far.segment_id]
    assert store.search([dataset], query(), k=5, document_ids=[]) == []
    assert len(store.search([dataset], query(), k=5, document_ids=None)) == 3


def test_only_enabled_segments_are_returned(store):
    dataset = uuid.uuid4()
    on, off = record(dataset, unit(10)), record(dataset, unit(5), enabled=False)
    store.upsert([on, off])
    assert ids(all_hits(store, dataset)) == [on.segment_id]

    store.set_enabled([off.segment_id], True)
    store.set_enabled([on.segment_id], False)
    assert ids(all_hits(store, dataset)) == [off.segment_id]

    store.set_enabled([on.segment_id, off.segment_id], True)
    assert ids(all_hits(store, dataset)) == [off.segment_id, on.segment_id]
    store.set_enabled([uuid.uuid4()], False)  # unknown segments are ignored
    store.set_enabled([], False)
    assert len(all_hits(store, dataset)) == 2


def test_upserting_a_segment_again_replaces_it(store):
    dataset, segment = uuid.uuid4(), uuid.uuid4()
    store.upsert([record(dataset, unit(70), segment_id=segment)])
    store.upsert([record(dataset, unit(10), segment_id=segment)])
    store.upsert([record(dataset, unit(10), segment_id=segment)])  # a retried job

    [hit] = all_hits(store, dataset)
    assert hit.segment_id == segment and hit.score == pytest.approx(math.cos(math.radians(10)), abs=1e-5)

    # Within one call the last record of a segment wins, and its enabled flag comes along.
    store.upsert([record(dataset, unit(20), segment_id=segment), record(dataset, unit(30), segment_id=segment, enabled=False)])
    assert all_hits(store, dataset) == []


def test_delete_segments_document_and_dataset(store, directory):
    dataset, other_dataset, document = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    of_document = [record(dataset, unit(angle), document_id=document) for angle in (10, 20, 30)]
    loose = record(dataset, unit(40))
    elsewhere = record(other_dataset, unit(5))
    store.upsert([*of_document, loose, elsewhere])

    store.delete_segments([of_document[0].segment_id, uuid.uuid4()])
    assert ids(all_hits(store, dataset)) == [of_document[1].segment_id, of_document[2].segment_id, loose.segment_id]

    store.delete_document(document)
    assert ids(all_hits(store, dataset)) == [loose.segment_id]

    store.delete_dataset(dataset)
    assert all_hits(store, dataset) == []
    assert not (directory / str(dataset)).exists()
    assert ids(all_hits(store, other_dataset)) == [elsewhere.segment_id]

    store.delete_dataset(uuid.uuid4())  # nothing to delete is not an error
    store.delete_document(uuid.uuid4())
    store.delete_segments([])


def test_deleted_and_reindexed_dataset_starts_afresh(store):
    dataset = uuid.uuid4()
    store.upsert([record(dataset, unit(10))])
    store.delete_dataset(dataset)
    again = record(dataset, unit(20))
    store.upsert([again])
    assert ids(all_hits(store, dataset)) == [again.segment_id]


def test_vectors_of_another_length_are_refused(store):
    dataset = uuid.uuid4()
    store.upsert([record(dataset, unit(10))])
    with pytest.raises(VectorDimensionError):
        store.upsert([record(dataset, [1.0, 0.0])])
    with pytest.raises(VectorDimensionError):
        store.search([dataset], [1.0, 0.0], k=3)
    with pytest.raises(VectorDimensionError):
        store.upsert([record(dataset, unit(10)), record(dataset, [1.0, 0.0])])
    assert len(all_hits(store, dataset)) == 1
    # Another dataset may use another model.
    store.upsert([record(uuid.uuid4(), [1.0, 0.0])])


def test_data_survives_a_restart(kv_kind, tmp_path, directory):
    dataset = uuid.uuid4()
    kept, disabled, deleted = record(dataset, unit(10)), record(dataset, unit(20)), record(dataset, unit(30))
    first = EmbeddedVectorStore(directory, make_kv_store(kv_kind, tmp_path))
    first.upsert([kept, disabled, deleted])
    first.set_enabled([disabled.segment_id], False)
    first.delete_segments([deleted.segment_id])

    restarted = EmbeddedVectorStore(directory, make_kv_store(kv_kind, tmp_path))
    assert ids(all_hits(restarted, dataset)) == [kept.segment_id]
    restarted.set_enabled([disabled.segment_id], True)
    assert ids(all_hits(restarted, dataset)) == [kept.segment_id, disabled.segment_id]


def test_many_small_writes_keep_few_parts_and_no_stale_files(store, directory):
    dataset = uuid.uuid4()
    records = [record(dataset, unit(i % 90)) for i in range(200)]
    for one in records:
        store.upsert([one])
    store.delete_segments([one.segment_id for one in records[:40]])
    store.set_enabled([one.segment_id for one in records[40:50]], False)

    hits = all_hits(store, dataset)
    assert sorted(map(str, ids(hits))) == sorted(str(one.segment_id) for one in records[50:])
    manifest = json.loads((directory / str(dataset) / "manifest.json").read_text())
    assert len(manifest["parts"]) <= 9  # log2(200) + 1
    files = {path.name for path in (directory / str(dataset)).iterdir()}
    assert len(files) <= 1 + 2 * (2 * 9 + 1)  # this version and the one before it


def test_the_factory_picks_the_embedded_store_by_default(tmp_path):
    kv_store = EmbeddedStore(tmp_path / "kv")
    embedded = create_vector_store(make_settings(tmp_path), kv_store)
    assert isinstance(embedded, EmbeddedVectorStore)
    assert embedded.directory == tmp_path / "vector_store"
    # Weaviate's side is in test_weaviate_store.py.


def test_the_app_binds_the_vector_store_with_its_own_locks(tmp_path):
    from internal.server import create_app

    app = create_app(make_settings(tmp_path))
    injector = app.extensions["injector"]
    store = injector.get(VectorStore)
    assert isinstance(store, EmbeddedVectorStore)
    assert store.kv_store is injector.get(KeyValueStore)


# -- threads and processes ----------------------------------------------------------------

BATCHES, BATCH = 15, 40


def write_batches(kv_kind: str, tmp_path: str, dataset_id: str, started, delete_after: bool) -> None:
    """Runs in a spawned process: appends whole batches, then disables and deletes some."""
    store = EmbeddedVectorStore(Path(tmp_path) / "vector_store", make_kv_store(kv_kind, Path(tmp_path)))
    dataset = uuid.UUID(dataset_id)
    rng = np.random.default_rng(7)
    written = []
    for batch in range(BATCHES):
        records = [record(dataset, rng.normal(size=DIM).tolist()) for _ in range(BATCH)]
        store.upsert(records)
        written += records
        started.set()
    if delete_after:
        store.set_enabled([one.segment_id for one in written[:BATCH]], False)
        store.delete_segments([one.segment_id for one in written[BATCH : 2 * BATCH]])


def upsert_one_by_one(kv_kind: str, tmp_path: str, dataset_id: str, segment_ids: list[str]) -> None:
    store = EmbeddedVectorStore(Path(tmp_path) / "vector_store", make_kv_store(kv_kind, Path(tmp_path)))
    for segment_id in segment_ids:
        store.upsert([record(uuid.UUID(dataset_id), unit(45), segment_id=uuid.UUID(segment_id))])


def test_a_reader_sees_another_process_write_whole_versions(store, kv_kind, tmp_path):
    dataset = uuid.uuid4()
    context = multiprocessing.get_context("spawn")
    started = context.Event()
    writer = context.Process(target=write_batches, args=(kv_kind, str(tmp_path), str(dataset), started, True))
    assert all_hits(store, dataset) == []  # this process has looked before the other one writes
    writer.start()
    try:
        assert started.wait(60), "the writer process did not start"
        seen = []
        while writer.is_alive():
            count = len(all_hits(store, dataset))
            assert count % BATCH == 0, "a reader saw half of a write"
            seen.append(count)
        writer.join(60)
    finally:
        if writer.is_alive():
            writer.kill()
    assert writer.exitcode == 0
    peak = seen.index(max(seen))
    assert seen[: peak + 1] == sorted(seen[: peak + 1]) and seen[0] >= BATCH  # batches only ever add up
    assert set(seen[peak:]) <= {(BATCHES - n) * BATCH for n in range(3)}  # then disable, then delete
    # The writer's last steps: one batch disabled, one deleted.
    assert len(all_hits(store, dataset)) == (BATCHES - 2) * BATCH


def test_concurrent_writers_in_threads_and_processes_lose_nothing(store, kv_kind, tmp_path):
    dataset = uuid.uuid4()
    per_writer = 25
    process_ids = [str(uuid.uuid4()) for _ in range(per_writer)]
    thread_ids = [[uuid.uuid4() for _ in range(per_writer)] for _ in range(3)]
    context = multiprocessing.get_context("spawn")
    other_process = context.Process(target=upsert_one_by_one, args=(kv_kind, str(tmp_path), str(dataset), process_ids))
    other_process.start()
    errors = []

    def write(segment_ids):
        try:
            for segment_id in segment_ids:
                store.upsert([record(dataset, unit(45), segment_id=segment_id)])
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(chunk,)) for chunk in thread_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    other_process.join(120)
    assert errors == [] and other_process.exitcode == 0

    expected = {uuid.UUID(one) for one in process_ids} | {one for chunk in thread_ids for one in chunk}
    hits = all_hits(store, dataset)
    assert len(hits) == len(expected) and set(ids(hits)) == expected


def test_searches_run_while_this_process_writes(store):
    dataset = uuid.uuid4()
    store.upsert([record(dataset, unit(45)) for _ in range(50)])
    stop, errors, counts = threading.Event(), [], []

    def read():
        try:
            while not stop.is_set():
                counts.append(len(all_hits(store, dataset)))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    readers = [threading.Thread(target=read) for _ in range(2)]
    for reader in readers:
        reader.start()
    for _ in range(30):
        store.upsert([record(dataset, unit(30)) for _ in range(5)])
    stop.set()
    for reader in readers:
        reader.join(30)
    assert errors == []
    assert all(count % 5 == 0 and 50 <= count <= 200 for count in counts)
    assert len(all_hits(store, dataset)) == 200
