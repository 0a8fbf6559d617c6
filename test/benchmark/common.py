"""What the benchmarks share: an embedded-profile app in a temporary folder, a signed-in member,
the shipped public-domain corpus, and documents built through the API and its background task."""

import io
import json
import logging
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from internal.server import create_app
from test.conftest import Member, create_member, make_settings

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
EVAL_PAIRS = CORPUS_DIR / "eval_pairs.json"
# The second evaluation set: original modern-Chinese passages and questions labelled by kind
# (lexical / paraphrase), in one file so the *.txt corpus above stays what it was.
ZH_EVERYDAY_SET = CORPUS_DIR / "zh_everyday.json"
ICON = "https://cdn.example.com/dataset.png"
# Passages are separated by blank lines; at 100 tokens a segment holds about one passage
# (31-135 tokens, median 75): long ones are cut at sentences, a few short ones share.
PASSAGE_RULE = {
    "pre_process_rules": [{"id": "remove_extra_space", "enabled": True}],
    "segment": {"separators": ["\n\n", "\n", "。", ". "], "chunk_size": 100, "chunk_overlap": 0},
}
BUILD_TIMEOUT = 1800.0
# Polling runs in the benchmark's own process; polling often would take CPU from the build it times.
POLL_INTERVAL = 0.25


@contextmanager
def embedded_app() -> Iterator[Flask]:
    """An app on the embedded profile (SQLite, disk cache, file vector store, in-process tasks)."""
    with tempfile.TemporaryDirectory(prefix="llmops-bench-") as directory:
        app = create_app(make_settings(Path(directory)))
        logging.getLogger().setLevel(logging.WARNING)
        yield app


def corpus_files() -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(CORPUS_DIR.glob("*.txt"))}


def corpus_passages() -> list[str]:
    passages = []
    for content in corpus_files().values():
        passages += [part.strip() for part in content.decode().split("\n\n") if part.strip()]
    return passages


def eval_pairs() -> list[dict]:
    return json.loads(EVAL_PAIRS.read_text(encoding="utf-8"))


def zh_everyday_set() -> tuple[dict[str, bytes], list[dict]]:
    """The second evaluation set's documents (name → text) and its question pairs."""
    content = json.loads(ZH_EVERYDAY_SET.read_text(encoding="utf-8"))
    return {name: text.encode() for name, text in content["documents"].items()}, content["pairs"]


def sign_in(app: Flask) -> tuple[FlaskClient, Member]:
    client = app.test_client()
    return client, create_member(app, client, name="Benchmark")


def api(resp) -> object:
    if resp.status_code != 200 or resp.json.get("code") != "success":
        raise RuntimeError(f"API call failed: {resp.status_code} {resp.json}")
    return resp.json["data"]


def create_dataset(client: FlaskClient, member: Member, name: str) -> str:
    api(client.post("/datasets", json={"name": name, "icon": ICON}, headers=member.headers))
    listed = api(client.get("/datasets", query_string={"search_word": name}, headers=member.headers))["list"]
    return next(item["id"] for item in listed if item["name"] == name)


def upload(client: FlaskClient, member: Member, name: str, content: bytes) -> str:
    resp = client.post(
        "/upload-files/file",
        data={"file": (io.BytesIO(content), name)},
        headers=member.headers,
        content_type="multipart/form-data",
    )
    return api(resp)["id"]


def add_documents(client: FlaskClient, member: Member, dataset_id: str, file_ids: list[str], rule: dict) -> str:
    body = {"upload_file_ids": file_ids, "process_type": "custom", "rule": rule}
    return api(client.post(f"/datasets/{dataset_id}/documents", json=body, headers=member.headers))["batch"]


def wait_for_batch(client: FlaskClient, member: Member, dataset_id: str, batch: str) -> list[dict]:
    deadline = time.monotonic() + BUILD_TIMEOUT
    while True:
        progress = api(client.get(f"/datasets/{dataset_id}/documents/batch/{batch}", headers=member.headers))
        if all(item["status"] in ("completed", "error") for item in progress):
            failed = [item for item in progress if item["status"] == "error"]
            if failed:
                raise RuntimeError(f"documents failed to build: {failed}")
            return progress
        if time.monotonic() > deadline:
            raise RuntimeError(f"batch {batch} did not finish in {BUILD_TIMEOUT:g}s")
        time.sleep(POLL_INTERVAL)


def build_corpus_dataset(
    client: FlaskClient,
    member: Member,
    name: str,
    copies: int = 1,
    files: dict[str, bytes] | None = None,
    rule: dict = PASSAGE_RULE,
) -> tuple[str, list[dict]]:
    """A dataset holding the corpus files (or the given ones; each `copies` times), built through
    the API in batches of 10 with the given process rule."""
    dataset_id = create_dataset(client, member, name)
    chosen = corpus_files() if files is None else files
    files = [(f"{copy}-{file_name}", content) for copy in range(copies) for file_name, content in chosen.items()]
    progress = []
    for start in range(0, len(files), 10):
        ids = [upload(client, member, file_name, content) for file_name, content in files[start : start + 10]]
        progress += wait_for_batch(client, member, dataset_id, add_documents(client, member, dataset_id, ids, rule))
    return dataset_id, progress


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
