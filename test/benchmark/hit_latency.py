"""Hit-test latency at 10k and 100k segments for each strategy, on the embedded profile.

The synthetic corpus: each segment is three sentences drawn at random from the shipped
public-domain corpus (Chinese and English). Embedding 100k segments with the local model would
take most of an hour here, so the sentences are embedded once with the real model and a segment's
vector is the normalised sum of its sentences' vectors (close to what the model gives the joined
text). Segments and documents are written straight into the tables; the keyword index is built
with the real KeywordIndex.add_segments and the vectors go into the real vector store.

What is timed is the retrieval path under test, unchanged: RetrievalService.search as the
hit-testing endpoint calls it (query embedding with the real model, keyword and vector search,
the searchable check, hit counters, the recorded query, loading the segments). The keyword index
and vector store alone are timed too. Queries are the 212 evaluation questions.

`--rerank http` / `--rerank chat` also times hybrid with a reranking step over the best 20
candidates, against a fake /rerank endpoint or the fake OpenAI server answering a ranking at once:
the platform's own cost of the step (request, round trip, the candidates' contents loaded); a
real reranker adds its model's time on top.

On a small, busy machine BLAS thread pools hurt these tiny matrix products (threads woken for
each call wait for a core); compare with `OPENBLAS_NUM_THREADS=1 EMBEDDING_THREADS=1`.

Run from the repository root:
    .venv/bin/python -m test.benchmark.hit_latency [--sizes 10000 100000] [--queries 100] [--rerank http chat]
"""

import argparse
import os
import random
import re
import time
import uuid
from types import SimpleNamespace

import numpy as np
from langchain_core.embeddings import Embeddings
from sqlalchemy import insert

from config import Settings
from config.settings import ProviderSettings, RerankSettings
from internal.core.language_model.catalog import LanguageModelCatalog
from internal.core.language_model.factory import LanguageModelFactory
from internal.core.rerank import Reranker, create_reranker
from internal.core.retrieval.keyword_index import KeywordIndex
from internal.core.text_processing.tokens import count_tokens
from internal.extension.database import db, utcnow
from internal.extension.vector_store import VectorRecord, VectorStore
from internal.model import Dataset, Document, Segment
from internal.service.retrieval_service import RetrievalService
from test.fakes.openai_server import ChatReply, FakeOpenAI, ToolCall
from test.fakes.rerank_server import FakeRerank
from test.benchmark.common import corpus_passages, embedded_app, eval_pairs, median, percentile, sign_in

SEGMENTS_PER_DOCUMENT = 1000
SENTENCES_PER_SEGMENT = 3
WRITE_BATCH = 2000
_SENTENCE_END = re.compile(r"(?<=[。！？!?.；])\s*")


def sentence_pool() -> list[str]:
    sentences = []
    for passage in corpus_passages():
        sentences += [part.strip() for part in _SENTENCE_END.split(passage) if len(part.strip()) >= 8]
    return sentences


class SyntheticCorpus:
    def __init__(self, app, account_id: uuid.UUID, seed: int = 7):
        self.app = app
        self.account_id = account_id
        self.rng = random.Random(seed)
        self.sentences = sentence_pool()
        embeddings = app.extensions["injector"].get(Embeddings)
        self.vectors = np.asarray(embeddings.embed_documents(self.sentences), dtype=np.float32)
        with app.app_context():
            dataset = Dataset(account_id=account_id, name="hit-latency", icon="", description="")
            db.session.add(dataset)
            db.session.commit()
            self.dataset_id = dataset.id
        self.size = 0

    def grow_to(self, total: int) -> float:
        """Adds segments (whole documents of 1000) until the dataset holds `total`; returns seconds."""
        started = time.perf_counter()
        injector = self.app.extensions["injector"]
        with self.app.app_context():
            index, store = injector.get(KeywordIndex), injector.get(VectorStore)
            while self.size < total:
                self._add_document(index, store)
            db.session.remove()
        return time.perf_counter() - started

    def _add_document(self, index: KeywordIndex, store: VectorStore) -> None:
        now = utcnow()
        document = Document(
            account_id=self.account_id, dataset_id=self.dataset_id, batch="bench", name=f"doc-{self.size}.txt",
            status="completed", enabled=True, completed_at=now,
        )  # fmt: skip
        db.session.add(document)
        db.session.flush()
        rows, vectors = [], []
        for position in range(1, SEGMENTS_PER_DOCUMENT + 1):
            picked = self.rng.sample(range(len(self.sentences)), SENTENCES_PER_SEGMENT)
            content = " ".join(self.sentences[i] for i in picked)
            vector = self.vectors[picked].sum(axis=0)
            vectors.append(vector / np.linalg.norm(vector))
            rows.append({
                "id": uuid.uuid4(), "account_id": self.account_id, "dataset_id": self.dataset_id,
                "document_id": document.id, "position": position, "content": content,
                "character_count": len(content), "token_count": count_tokens(content), "keywords": [],
                "hash": uuid.uuid4().hex, "hit_count": 0, "status": "completed", "error": "", "enabled": True,
                "completed_at": now, "updated_at": now, "created_at": now,
            })  # fmt: skip
        for start in range(0, len(rows), WRITE_BATCH):
            batch = rows[start : start + WRITE_BATCH]
            db.session.execute(insert(Segment), batch)
            index.add_segments(SimpleNamespace(**row) for row in batch)
        db.session.commit()
        store.upsert(
            VectorRecord(row["id"], document.id, self.dataset_id, vector.tolist(), enabled=True)
            for row, vector in zip(rows, vectors, strict=True)
        )
        self.size += SEGMENTS_PER_DOCUMENT


def timed(call, queries: list[str]) -> list[float]:
    call(queries[0])  # warm caches once
    timings = []
    for query in queries:
        started = time.perf_counter()
        call(query)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def measure(app, corpus: SyntheticCorpus, queries: list[str]) -> dict[str, list[float]]:
    injector = app.extensions["injector"]
    service, index = injector.get(RetrievalService), injector.get(KeywordIndex)
    store, embeddings = injector.get(VectorStore), injector.get(Embeddings)
    dataset = [corpus.dataset_id]
    results = {}
    with app.app_context():
        for strategy in ("full_text", "semantic", "hybrid"):
            results[f"service {strategy}"] = timed(
                lambda q, s=strategy: service.search(corpus.account_id, dataset, q, s, 10, 0.0), queries
            )
        results["keyword index only"] = timed(lambda q: index.search(dataset, q, 10), queries)
        vectors = {q: embeddings.embed_query(q) for q in queries}
        results["vector store only"] = timed(lambda q: store.search(dataset, vectors[q], 10), queries)
        results["query embedding only"] = timed(embeddings.embed_query, queries)
        db.session.remove()
    return results


def measure_reranked(app, corpus: SyntheticCorpus, queries: list[str], kinds: list[str]) -> dict[str, list[float]]:
    """Hybrid through the service with each kind of reranker bound in turn, against its fake."""
    injector = app.extensions["injector"]
    service, before = injector.get(RetrievalService), injector.get(Reranker)
    results = {}
    for kind in kinds:
        fake = (FakeRerank() if kind == "http" else FakeOpenAI(api_key="sk-bench")).start()
        try:
            service.reranker = _reranker(app, kind, fake, len(queries) + 1)
            with app.app_context():
                results[f"hybrid + {kind} rerank"] = timed(
                    lambda q: service.search(corpus.account_id, [corpus.dataset_id], q, "hybrid", 10, 0.0), queries
                )
                db.session.remove()
        finally:
            service.reranker = before
            fake.stop()
    return results


def _reranker(app, kind: str, fake, calls: int) -> Reranker:
    if kind == "http":
        return create_reranker(RerankSettings(_env_file=None, rerank_provider="http", rerank_base_url=fake.url, rerank_api_key=fake.api_key))
    fake.script_chat(lambda body: True, *[ChatReply(tool_calls=[ToolCall("PassageRanking", {"ranking": [3, 1, 2]})])] * calls)
    settings = app.extensions["injector"].get(Settings)
    providers = ProviderSettings(_env_file=None, openai_api_base=fake.api_base, openai_api_key=fake.api_key)
    language_models = LanguageModelFactory(settings.model_copy(update={"providers": providers}), LanguageModelCatalog.load())
    chat = RerankSettings(_env_file=None, rerank_provider="chat", rerank_chat_provider="openai", rerank_chat_model="gpt-4o-mini")
    return create_reranker(chat, language_models)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=100, help="evaluation questions timed per strategy")
    parser.add_argument("--rerank", nargs="*", choices=["http", "chat"], default=[], help="also time hybrid with these rerankers")
    args = parser.parse_args()

    pairs = eval_pairs()
    queries = [pair["query"] for pair in random.Random(3).sample(pairs, min(args.queries, len(pairs)))]
    print("vectors: sentences embedded with the real model, a segment's vector is the normalised sum of its "
          "sentences' (the retrieval path timed is unchanged)")
    with embedded_app() as app:
        threads = app.extensions["injector"].get(Settings).embeddings.embedding_threads
        print(f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}, embedding threads {threads}, "
              f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
        _, member = sign_in(app)
        corpus = SyntheticCorpus(app, member.id)
        print(f"sentence pool: {len(corpus.sentences)} sentences; {len(queries)} queries (zh and en), k=10, score 0")
        for size in sorted(args.sizes):
            seconds = corpus.grow_to(size)
            print(f"\n{size} segments (built in {seconds:.0f}s, {len(range(0, size, SEGMENTS_PER_DOCUMENT))} documents)")
            print(f"{'path':<26}{'p50 ms':>10}{'p99 ms':>10}")
            timings_by_path = measure(app, corpus, queries) | measure_reranked(app, corpus, queries, args.rerank)
            for name, timings in timings_by_path.items():
                print(f"{name:<26}{median(timings):>10.1f}{percentile(timings, 0.99):>10.1f}")


if __name__ == "__main__":
    main()
