"""The assistant's documentation index: built once per content, shared by concurrent first
users and processes, rebuilt when a document changes, and it finds the right passages."""

import shutil
import threading

import pytest

from internal.core.assistant.docs_index import DOCS_DIR, DocsIndex, read_passages
from internal.core.embeddings.local_embeddings import LocalEmbeddings


class CountingEmbeddings(LocalEmbeddings):
    """The local model, counting the batches of passages it was asked to embed."""

    def __init__(self):
        super().__init__(batch_size=16)
        self.document_calls = 0
        self._lock = threading.Lock()

    def embed_documents(self, texts):
        with self._lock:
            self.document_calls += 1
        return super().embed_documents(texts)


@pytest.fixture
def docs(tmp_path):
    folder = tmp_path / "docs"
    shutil.copytree(DOCS_DIR, folder)
    return folder


def test_every_document_is_cut_into_titled_passages():
    passages = read_passages()
    assert {name for name, _, _ in passages} == {path.name for path in DOCS_DIR.glob("*.md")}
    assert all(text.strip() for _, _, text in passages)
    assert any(title == "Publishing and channels (发布渠道) › Open API (开放 API)" for _, title, _ in passages)


def test_concurrent_first_searches_build_once_and_later_processes_only_read(tmp_path, docs):
    embeddings = CountingEmbeddings()
    index = DocsIndex(tmp_path / "index", embeddings, "model-a", docs)
    results = []
    threads = [threading.Thread(target=lambda: results.append(index.search("publish to WeChat"))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and all(result for result in results)
    assert embeddings.document_calls == 1
    [stored] = list((tmp_path / "index").glob("*.npz"))

    # Another process (a new index object) on the same folder reads the file.
    again = CountingEmbeddings()
    assert DocsIndex(tmp_path / "index", again, "model-a", docs).search("publish to WeChat")
    assert again.document_calls == 0
    assert list((tmp_path / "index").glob("*.npz")) == [stored]

    # A changed document, or another model, builds a new index in place of the old one.
    (docs / "01_building_apps.md").write_text("# Apps\n\n## Colours\nApps are blue.\n", encoding="utf-8")
    changed = CountingEmbeddings()
    assert DocsIndex(tmp_path / "index", changed, "model-a", docs).search("colour")[0].content == "Apps are blue."
    assert changed.document_calls == 1
    [rebuilt] = list((tmp_path / "index").glob("*.npz"))
    assert rebuilt != stored


@pytest.mark.parametrize(
    "query, source",
    [
        ("How do I call my published app from my own program with an API key?", "06_publishing.md"),
        ("如何上传文档到知识库并设置分段规则", "04_knowledge_bases.md"),
        ("What nodes can a workflow have, can I run Python code?", "05_workflows.md"),
        ("Which built-in tools can search the web?", "03_tools.md"),
    ],
)
def test_searches_find_the_document_that_answers(tmp_path, query, source):
    index = DocsIndex(tmp_path / "index", LocalEmbeddings(batch_size=16), "model-a")
    assert index.search(query, k=4)[0].source == source
