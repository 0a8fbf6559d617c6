"""End-to-end indexing throughput on the embedded profile, beside the raw embedding model's.

Uploads the shipped corpus several times over (as separate files), adds them to a dataset in
batches of 10 through the API and times from the first upload until every document is
`completed` (the background build: parsing, splitting, embedding, keywords, keyword index,
vector store). The same segment texts are then embedded directly with the app's embedding model
in the same process, and the ratio of the two rates is printed (target >= 0.7).

Run from the repository root:
    .venv/bin/python -m test.benchmark.indexing_throughput [--copies 6]
"""

import argparse
import time
import uuid

from langchain_core.embeddings import Embeddings

from internal.core.text_processing.keywords import extract_keywords
from internal.core.text_processing.tokens import count_tokens

from internal.extension.database import db
from internal.model import Segment
from test.benchmark.common import (
    PASSAGE_RULE,
    add_documents,
    corpus_files,
    create_dataset,
    embedded_app,
    sign_in,
    upload,
    wait_for_batch,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=6, help="times the corpus is uploaded")
    args = parser.parse_args()

    with embedded_app() as app:
        client, member = sign_in(app)
        embeddings = app.extensions["injector"].get(Embeddings)
        # Models and dictionaries load once per process, before either measurement.
        embeddings.embed_documents(["warm-up"])
        extract_keywords("warm-up 预热")
        count_tokens("warm-up")
        dataset_id = create_dataset(client, member, "indexing-throughput")
        files = [(f"{copy}-{name}", content) for copy in range(args.copies) for name, content in corpus_files().items()]

        started = time.perf_counter()
        batches = []
        for start in range(0, len(files), 10):
            ids = [upload(client, member, name, content) for name, content in files[start : start + 10]]
            batches.append(add_documents(client, member, dataset_id, ids, PASSAGE_RULE))
        progress = [item for batch in batches for item in wait_for_batch(client, member, dataset_id, batch)]
        pipeline_seconds = time.perf_counter() - started
        segments = sum(item["segment_count"] for item in progress)

        with app.app_context():
            texts = list(db.session.scalars(db.select(Segment.content).where(Segment.dataset_id == uuid.UUID(dataset_id))))
            db.session.remove()
        started = time.perf_counter()
        embeddings.embed_documents(texts)
        raw_seconds = time.perf_counter() - started

    pipeline_rate, raw_rate = segments / pipeline_seconds, len(texts) / raw_seconds
    print(f"corpus: {len(files)} files, {sum(len(c) for _, c in files) / 1024:.0f} KB, {segments} segments "
          f"(avg {sum(map(len, texts)) / len(texts):.0f} characters)")
    print(f"embedding model: {type(embeddings).__name__}")
    print(f"end to end (upload -> completed, API + background build): {pipeline_seconds:.1f}s, {pipeline_rate:.1f} segments/s")
    print(f"raw embedding of the same texts:                          {raw_seconds:.1f}s, {raw_rate:.1f} segments/s")
    print(f"ratio end-to-end / raw embedding: {pipeline_rate / raw_rate:.2f} (target >= 0.70)")


if __name__ == "__main__":
    main()
