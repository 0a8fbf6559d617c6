"""Prints how fast the embedded vector store searches and the local model embeds. Not a test.

    .venv/bin/python test/benchmark/vector_store_bench.py [--sizes 10000 100000] [--queries 300]
"""

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from internal.core.embeddings.local_embeddings import DIMENSION, LocalEmbeddings  # noqa: E402
from internal.extension.kv_store.embedded_store import EmbeddedStore  # noqa: E402
from internal.extension.vector_store import VectorRecord  # noqa: E402
from internal.extension.vector_store.embedded_store import EmbeddedVectorStore  # noqa: E402


def percentile_ms(samples: list[float], q: float) -> float:
    return float(np.percentile(samples, q) * 1000)


def bench_search(size: int, queries: int, directory: Path) -> None:
    rng = np.random.default_rng(size)
    store = EmbeddedVectorStore(directory / "vector_store", EmbeddedStore(directory / "kv"))
    dataset, document = uuid.uuid4(), uuid.uuid4()
    started = time.perf_counter()
    for start in range(0, size, 10_000):
        vectors = rng.normal(size=(min(10_000, size - start), DIMENSION)).astype(np.float32)
        store.upsert(
            VectorRecord(segment_id=uuid.uuid4(), document_id=document, dataset_id=dataset, vector=vector, enabled=i % 10 != 0)
            for i, vector in enumerate(vectors)
        )
    ingest = time.perf_counter() - started

    fresh = EmbeddedVectorStore(directory / "vector_store", EmbeddedStore(directory / "kv"))  # as after a restart
    query_vectors = rng.normal(size=(queries, DIMENSION)).astype(np.float32)
    started = time.perf_counter()
    fresh.search([dataset], query_vectors[0], k=10)
    first = time.perf_counter() - started
    timings = []
    for vector in query_vectors:
        started = time.perf_counter()
        hits = fresh.search([dataset], vector, k=10, score_threshold=0.0)
        timings.append(time.perf_counter() - started)
    assert len(hits) == 10

    # The floor: numpy's matrix-vector product over the same number of rows, held in memory.
    matrix = rng.normal(size=(size, DIMENSION)).astype(np.float32)
    baseline = []
    for vector in query_vectors:
        started = time.perf_counter()
        matrix @ vector
        baseline.append(time.perf_counter() - started)

    single = VectorRecord(segment_id=uuid.uuid4(), document_id=document, dataset_id=dataset, vector=query_vectors[0])
    started = time.perf_counter()
    for _ in range(20):
        store.upsert([single])
    upsert_one = (time.perf_counter() - started) / 20
    print(
        f"search {size:>7,} x {DIMENSION}: p50 {percentile_ms(timings, 50):6.2f} ms  p99 {percentile_ms(timings, 99):6.2f} ms"
        f"  first after restart {first * 1000:6.1f} ms  ingest {size / ingest:8,.0f} vectors/s"
        f"  one-segment upsert {upsert_one * 1000:5.1f} ms"
    )
    print(f"  (bare numpy matrix @ vector, same size: p50 {percentile_ms(baseline, 50):6.2f} ms  p99 {percentile_ms(baseline, 99):6.2f} ms)")


def bench_embeddings(threads: int) -> None:
    model = LocalEmbeddings(batch_size=32, threads=threads)
    started = time.perf_counter()
    model.embed_query("预热")
    load = time.perf_counter() - started
    zh = [f"第{i}条：知识库会把上传的文档切分成片段，再为每个片段计算向量，检索时按相似度召回最相关的内容。" for i in range(256)]
    en = [f"Note {i}: the knowledge base splits each uploaded document into segments and embeds them for retrieval." for i in range(256)]
    zh_long = [(text * 10)[:450] for text in zh[:64]]  # the size of a typical segment
    for label, texts in (("zh", zh), ("en", en), ("zh", zh_long)):
        started = time.perf_counter()
        model.embed_documents(texts)
        elapsed = time.perf_counter() - started
        print(f"local embeddings ({label}, ~{len(texts[0])} chars, {threads} threads): {len(texts) / elapsed:7.1f} texts/s")
    started = time.perf_counter()
    for i in range(50):
        model.embed_query(f"如何申请退款 {i}")
    print(f"local embeddings: one query {(time.perf_counter() - started) / 50 * 1000:.1f} ms, model load {load:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, numpy {np.__version__}")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as directory:
            bench_search(size, args.queries, Path(directory))
    bench_embeddings(args.threads)


if __name__ == "__main__":
    main()
