"""RAG knowledge graph (aistack-api.md "知识图谱"): builds over the account's documents with the
model's structured extraction (the fake model scripted per chunk), read-only Cypher queries,
merging, rebuilding, ownership and failure."""

import time
import uuid
from datetime import timedelta

import pytest

from config import Settings
from config.settings import AIStackGraphSettings
from internal.aistack.rag.knowledge_graph.models import GraphBuild
from internal.aistack.rag.knowledge_graph.service import KnowledgeGraphService
from internal.aistack.rag.knowledge_graph.cypher import CypherError, QueryTimeout, _with_deadline, read_only_query
from internal.server import create_app
from test.aistack.client import AIStackClient, assert_error, data_of, issue_token
from test.api.knowledge_base import build_document, create_dataset, list_segments, wait_for
from internal.extension.database import db, utcnow
from test.conftest import _common_overrides, create_member, make_settings
from test.fakes.openai_server import ChatReply, ToolCall

EXAMPLE = "MATCH (n:Person)-[r:WORKS_AT]->(c:Company) RETURN n, r, c"
FINISHED = ("completed", "failed")
POLL_INTERVAL = 0.25
NODE_FIELDS = {"id", "name", "type", "description", "source_chunks"}


@pytest.fixture
def kg(app, client) -> AIStackClient:
    """A signed-in caller on the main server's prefix (the address matters in one test only)."""
    return _caller(app, client, "prefix")


def _caller(app, client, via: str) -> AIStackClient:
    member = create_member(app, client, name="Graph")
    stack = AIStackClient(client, issue_token(client, member.email, member.password), via)
    stack.member = member
    stack.dataset_id = None
    return stack


def make_document(app, client, stack: AIStackClient, text: str) -> tuple[str, str]:
    """A built one-chunk document of the caller: (document id, its segment id)."""
    if stack.dataset_id is None:
        stack.dataset_id = create_dataset(client, stack.member)
    progress = build_document(app, client, stack.member, stack.dataset_id, f"{uuid.uuid4().hex[:8]}.txt", text.encode())
    assert progress["status"] == "completed", progress
    [segment] = list_segments(client, stack.member, stack.dataset_id, progress["id"])
    return progress["id"], segment["id"]


def extraction(entities=(), relationships=()) -> ChatReply:
    """The model's function call answering an extraction request."""
    args = {
        "entities": [{"name": n, "type": t, "description": d} for n, t, d in entities],
        "relationships": [{"source": s, "target": t, "type": k, "description": d} for s, t, k, d in relationships],
    }
    return ChatReply(tool_calls=[ToolCall("KnowledgeGraphExtraction", args)])


def build(app, stack: AIStackClient, document_ids: list[str], **flags) -> dict:
    """Start a build and wait until it finishes; returns its final state. Polls a few times a
    second: every poll counts against the caller's 100 requests a minute."""
    started = data_of(stack.post("rag", "/api/knowledge-graph/build", json={"document_ids": document_ids, **flags}), 201)
    assert started["status"] in ("pending", "running", "completed") and started["document_ids"] == document_ids

    def finished():
        time.sleep(POLL_INTERVAL)
        state = data_of(stack.get("rag", f"/api/knowledge-graph/builds/{started['build_id']}"))
        return state if state["status"] in FINISHED else None

    return wait_for(app, finished, f"knowledge graph build {started['build_id']}")


def query(stack: AIStackClient, cypher: str, **body) -> dict:
    return data_of(stack.post("rag", "/api/knowledge-graph/query", json={"query": cypher, **body}))


def stats(stack: AIStackClient) -> dict:
    return data_of(stack.get("rag", "/api/knowledge-graph/stats"))


def two_documents(app, client, stack, llm) -> dict:
    """Two documents, the model scripted for each: Alice works at Acme, Bob works at Acme in Shanghai."""
    marker = uuid.uuid4().hex[:8]
    first, first_chunk = make_document(app, client, stack, f"Alice Zhang works at Acme Corp as an engineer. {marker}a")
    second, second_chunk = make_document(app, client, stack, f"Bob Li works at ACME corp in Shanghai. {marker}b")
    llm.script_chat(
        f"{marker}a",
        extraction(
            [("Alice Zhang", "Person", "An engineer"), ("Acme Corp", "Company", "A company")],
            [("Alice Zhang", "Acme Corp", "WORKS_AT", "Alice is an engineer at Acme")],
        ),
    )
    llm.script_chat(
        f"{marker}b",
        extraction(
            [("Bob Li", "person", "Works at Acme"), ("ACME corp", "company", ""), ("Shanghai", "Location", "A city")],
            [("Bob Li", "ACME corp", "works at", ""), ("ACME corp", "Shanghai", "LOCATED_IN", "Acme is in Shanghai")],
        ),
    )
    return {"documents": [first, second], "chunks": [first_chunk, second_chunk], "marker": marker}


def test_build_over_two_documents_then_the_documents_cypher_example(app, client, llm, via):
    stack = _caller(app, client, via)
    made = two_documents(app, client, stack, llm)
    done = build(app, stack, made["documents"])
    assert done["status"] == "completed", done
    assert (done["total_chunks"], done["processed_chunks"], done["progress"]) == (2, 2, 1.0)
    assert (done["entities_count"], done["relationships_count"]) == (4, 3)
    assert done["error"] == "" and done["completed_at"].endswith("Z")

    # The model was asked for structured output through a forced function call, chunk by chunk.
    [request] = llm.chat_requests(f"{made['marker']}a")
    assert request["tools"][0]["function"]["name"] == "KnowledgeGraphExtraction"

    data = query(stack, EXAMPLE)
    assert data["columns"] == ["n", "r", "c"] and data["count"] == 2 == len(data["results"])
    rows = sorted(data["results"], key=lambda row: row["n"]["name"])
    alice, bob = rows
    assert set(alice["n"]) == NODE_FIELDS
    assert (alice["n"]["name"], alice["n"]["type"], alice["n"]["description"]) == ("Alice Zhang", "Person", "An engineer")
    assert alice["n"]["source_chunks"] == [{"document_id": made["documents"][0], "chunk_id": made["chunks"][0]}]
    assert alice["r"]["type"] == "WORKS_AT" and alice["r"]["description"] == "Alice is an engineer at Acme"
    assert (alice["r"]["source"], alice["r"]["target"]) == (alice["n"]["id"], alice["c"]["id"])
    # Acme Corp and ACME corp are one company, found in both documents.
    assert bob["n"]["type"] == "Person" and bob["r"]["type"] == "WORKS_AT"
    assert alice["c"]["id"] == bob["c"]["id"] and alice["c"]["name"] == "Acme Corp"
    assert sorted(c["document_id"] for c in alice["c"]["source_chunks"]) == sorted(made["documents"])

    assert stats(stack) == {
        "nodes": 4,
        "edges": 3,
        "node_types": {"Person": 2, "Company": 1, "Location": 1},
        "edge_types": {"WORKS_AT": 2, "LOCATED_IN": 1},
        "documents": 2,
    }


def test_where_clauses_limits_and_scalar_columns(app, client, llm, kg):
    made = two_documents(app, client, kg, llm)
    assert build(app, kg, made["documents"])["status"] == "completed"

    data = query(kg, "MATCH (n:Person)-[r:WORKS_AT]->(c:Company) WHERE n.name = 'Bob Li' RETURN n.name, c.name")
    assert data == {"results": [{"n.name": "Bob Li", "c.name": "Acme Corp"}], "columns": ["n.name", "c.name"], "count": 1}
    data = query(kg, 'MATCH (c:Company)-[r]->(l) WHERE l.type = "Location" AND r.type == "LOCATED_IN" RETURN l.name')
    assert data["results"] == [{"l.name": "Shanghai"}]
    data = query(kg, "MATCH (n) WHERE n.name CONTAINS 'i' RETURN n.name ORDER BY n.name DESC")
    assert [row["n.name"] for row in data["results"]] == ["Shanghai", "Bob Li", "Alice Zhang"]

    assert query(kg, "MATCH (n) RETURN n", limit=2)["count"] == 2
    assert query(kg, "MATCH (n) RETURN n LIMIT 3", limit=100)["count"] == 3
    assert query(kg, "MATCH (n) RETURN n")["count"] == 4  # the default limit is 10
    assert query(kg, "MATCH (n:Event) RETURN n") == {"results": [], "columns": ["n"], "count": 0}
    for limit in (0, 101, "many"):
        resp = kg.post("rag", "/api/knowledge-graph/query", json={"query": "MATCH (n) RETURN n", "limit": limit})
        assert_error(resp, 400, "INVALID_INPUT", "limit")


def test_rebuilding_replaces_a_documents_contribution_without_duplicates(app, client, llm, kg):
    marker = uuid.uuid4().hex[:8]
    document, _ = make_document(app, client, kg, f"Carol Wu works at Initech. {marker}")
    first = extraction(
        [("Carol Wu", "Person", "A manager"), ("Initech", "Company", "")],
        [("Carol Wu", "Initech", "WORKS_AT", "")],
    )
    llm.script_chat(marker, first, first)
    assert build(app, kg, [document])["status"] == "completed"
    before = query(kg, EXAMPLE)
    assert build(app, kg, [document])["status"] == "completed"
    assert query(kg, EXAMPLE) == before  # same nodes (ids), same edge, once
    assert (stats(kg)["nodes"], stats(kg)["edges"]) == (2, 1)

    # The document now says something else: what only it supported goes.
    llm.script_chat(
        marker,
        extraction(
            [("Carol Wu", "Person", ""), ("Globex", "Company", "")],
            [("Carol Wu", "Globex", "WORKS_AT", "")],
        ),
    )
    assert build(app, kg, [document])["status"] == "completed"
    [row] = query(kg, EXAMPLE)["results"]
    assert row["n"]["id"] == before["results"][0]["n"]["id"] and row["n"]["description"] == "A manager"
    assert row["c"]["name"] == "Globex"
    assert stats(kg)["node_types"] == {"Person": 1, "Company": 1}


def test_writing_clauses_are_refused_while_strings_may_say_anything(app, client, llm, kg):
    marker = uuid.uuid4().hex[:8]
    document, _ = make_document(app, client, kg, f"The CREATE Festival takes place in Berlin. {marker}")
    llm.script_chat(marker, extraction([("CREATE Festival", "Event", "set in Berlin; merge of arts"), ("Berlin", "Location", "")]))
    assert build(app, kg, [document], extract_relationships=False)["status"] == "completed"

    for cypher in (
        "CREATE (n:Person {name: 'Eve'})",
        "create (n:Person)",
        "MATCH (n) DETACH DELETE n",
        "MATCH (n) delete n",
        "MATCH (n:Event) SET n.name = 'x' RETURN n",
        "MATCH (n) REMOVE n.name RETURN n",
        "MATCH (n) WITH n MERGE (m:Person {name: n.name}) RETURN m",
        "MATCH (n) RETURN n UNION MATCH (m) /* comment */ CrEaTe (x) RETURN x",
        "CALL db.labels()",
        "LOAD CSV FROM 'file:///etc/passwd' AS line RETURN line",
    ):
        error = assert_error(kg.post("rag", "/api/knowledge-graph/query", json={"query": cypher}), 400, "INVALID_INPUT", "query")
        assert "只读" in error["message"], (cypher, error)

    # Keywords inside strings, properties and comments are not clauses.
    data = query(kg, "MATCH (n:Event) WHERE n.name = 'CREATE Festival' RETURN n.name // then DELETE")
    assert data["results"] == [{"n.name": "CREATE Festival"}]
    data = query(kg, 'MATCH (n) WHERE n.description CONTAINS "merge" RETURN n.name, n.set')
    assert data["results"] == [{"n.name": "CREATE Festival", "n.set": None}]
    assert stats(kg)["nodes"] == 2 and stats(kg)["edges"] == 0

    for cypher in ("MATCH (n RETURN n", "MATCH (n) RETURN m", "RETURN 'unterminated", ""):
        assert_error(kg.post("rag", "/api/knowledge-graph/query", json={"query": cypher}), 400, "INVALID_INPUT", "query")


def test_another_account_sees_nothing_and_cannot_build_from_others_documents(app, client, llm, kg):
    made = two_documents(app, client, kg, llm)
    done = build(app, kg, made["documents"])
    other = _caller(app, client, "prefix")
    assert query(other, EXAMPLE) == {"results": [], "columns": ["n", "r", "c"], "count": 0}
    assert stats(other) == {"nodes": 0, "edges": 0, "node_types": {}, "edge_types": {}, "documents": 0}
    assert_error(other.get("rag", f"/api/knowledge-graph/builds/{done['build_id']}"), 404, "RESOURCE_NOT_FOUND")
    own, _ = make_document(app, client, other, f"Dan works at Umbrella. {uuid.uuid4().hex}")
    for ids in ([made["documents"][0]], [own, made["documents"][1]], ["doc_001"]):
        resp = other.post("rag", "/api/knowledge-graph/build", json={"document_ids": ids})
        assert_error(resp, 404, "RESOURCE_NOT_FOUND")
    assert_error(other.get("rag", f"/api/knowledge-graph/builds/{uuid.uuid4()}"), 404, "RESOURCE_NOT_FOUND")
    assert query(kg, EXAMPLE)["count"] == 2  # the owner's graph is untouched


def test_build_requests_are_validated(kg):
    cases = [
        ({}, "document_ids"),
        ({"document_ids": []}, "document_ids"),
        ({"document_ids": [str(uuid.uuid4()) for _ in range(51)]}, "document_ids"),
        ({"document_ids": [str(uuid.uuid4())], "extract_entities": False, "extract_relationships": False}, "extract_entities"),
        ({"document_ids": "abc"}, "document_ids"),
    ]
    for body, field in cases:
        assert_error(kg.post("rag", "/api/knowledge-graph/build", json=body), 400, "INVALID_INPUT", field)
    assert_error(kg.post("rag", "/api/knowledge-graph/query", json={}), 400, "INVALID_INPUT", "query")


def test_a_failing_model_fails_the_build_and_leaves_the_graph_as_it_was(app, client, llm, kg):
    made = two_documents(app, client, kg, llm)
    assert build(app, kg, [made["documents"][0]])["status"] == "completed"
    before = query(kg, "MATCH (n) RETURN n")

    # The first document now reads differently, and the model fails on the second.
    llm.reset_chat()
    llm.script_chat(f"{made['marker']}a", extraction([("Someone Else", "Person", "")]))
    llm.script_chat(f"{made['marker']}b", ChatReply(status=500, error_message="the model is down"))
    failed = build(app, kg, made["documents"])
    assert failed["status"] == "failed" and "the model is down" in failed["error"], failed
    assert failed["processed_chunks"] < failed["total_chunks"] == 2
    assert query(kg, "MATCH (n) RETURN n") == before
    assert stats(kg)["documents"] == 1


def test_relationships_only_keep_just_their_endpoints(app, client, llm, kg):
    marker = uuid.uuid4().hex[:8]
    document, _ = make_document(app, client, kg, f"Erin founded Hooli in Palo Alto. {marker}")
    llm.script_chat(
        marker,
        extraction(
            [("Erin", "Person", ""), ("Hooli", "Company", ""), ("Palo Alto", "Location", "")],
            [("Erin", "Hooli", "Founded", "Erin started Hooli")],
        ),
    )
    done = build(app, kg, [document], extract_entities=False)
    assert (done["entities_count"], done["relationships_count"]) == (2, 1)
    data = query(kg, "MATCH (a)-[r:FOUNDED]->(b:Company) RETURN a.name, r.description, b.name")
    assert data["results"] == [{"a.name": "Erin", "r.description": "Erin started Hooli", "b.name": "Hooli"}]
    assert stats(kg)["node_types"] == {"Person": 1, "Company": 1}


@pytest.fixture(scope="module")
def strict_app(tmp_path_factory, fake_github, fake_llm):
    """An embedded app whose graph may hold two entities."""
    settings = make_settings(
        tmp_path_factory.mktemp("strict-graph"),
        aistack_graph=AIStackGraphSettings(_env_file=None, aistack_graph_max_nodes=2),
        **_common_overrides(fake_github, fake_llm),
    )
    return create_app(settings)


def test_an_unusable_model_refuses_builds_and_a_graph_past_its_size_fails(strict_app, llm):
    client = strict_app.test_client()
    stack = _caller(strict_app, client, "prefix")
    marker = uuid.uuid4().hex[:8]
    document, _ = make_document(strict_app, client, stack, f"Frank, Grace and Heidi work at Massive Dynamic. {marker}")
    llm.script_chat(
        marker,
        extraction([("Frank", "Person", ""), ("Grace", "Person", ""), ("Massive Dynamic", "Company", "")]),
    )
    failed = build(strict_app, stack, [document])
    assert failed["status"] == "failed" and "超过上限" in failed["error"], failed
    assert stats(stack)["nodes"] == 0

    # A model the catalog does not have: the build is refused before anything is queued.
    graph_settings = strict_app.extensions["injector"].get(Settings).aistack_graph
    graph_settings.aistack_graph_model_provider = "no-such-provider"
    try:
        resp = stack.post("rag", "/api/knowledge-graph/build", json={"document_ids": [document]})
    finally:
        graph_settings.aistack_graph_model_provider = ""
    assert "AISTACK_GRAPH_MODEL" in assert_error(resp, 503, "SERVICE_UNAVAILABLE")["message"]


def test_writing_clauses_are_found_by_tokens_not_substrings():
    assert read_only_query("MATCH (n {name: 'it\\'s CREATE'}) RETURN n.create") == 'MATCH (n {name: "it\'s CREATE"}) RETURN n.create'
    for cypher in ("match (n) set n.x = 1", "MATCH (n) RETURN n // ok\nCREATE (m)", "MATCH (n) `DELETE` n"):
        with pytest.raises(CypherError):
            read_only_query(cypher)
    for cypher in ("MATCH (n:Create) RETURN n", "MATCH (n {delete: 1}) RETURN n.merge", "MATCH (n) /* DELETE */ RETURN n"):
        read_only_query(cypher)


def test_a_query_past_its_deadline_is_stopped():
    def forever():
        while True:
            pass

    with pytest.raises(QueryTimeout):
        _with_deadline(forever, 0.2)
    assert _with_deadline(lambda: 42, 5) == 42


def test_builds_whose_worker_is_gone_are_failed_by_the_sweep(app, kg):
    """A build left `running` (its worker died) or `pending` (the embedded queue went with a
    restart) long ago is failed by the periodic sweep; a recent one is left alone."""
    with app.app_context():
        long_ago = utcnow() - timedelta(days=1)
        rows = [
            GraphBuild(account_id=kg.member.id, document_ids=[], status="running", updated_at=long_ago),
            GraphBuild(account_id=kg.member.id, document_ids=[], status="pending", updated_at=long_ago),
            GraphBuild(account_id=kg.member.id, document_ids=[], status="running"),
        ]
        db.session.add_all(rows)
        db.session.commit()
        ids = [str(row.id) for row in rows]
        app.extensions["injector"].get(KnowledgeGraphService).sweep_stale_builds()
        db.session.remove()
    states = [data_of(kg.get("rag", f"/api/knowledge-graph/builds/{build_id}")) for build_id in ids]
    assert [state["status"] for state in states] == ["failed", "failed", "running"]
    assert "中断" in states[0]["error"]


# One paragraph per segment.
ONE_PER_PARAGRAPH = {
    "pre_process_rules": [{"id": "remove_extra_space", "enabled": True}],
    "segment": {"separators": ["\n\n"], "chunk_size": 100, "chunk_overlap": 0},
}


def test_chunks_of_a_document_share_a_request_and_items_link_to_the_chunks_named(app, client, llm, kg):
    marker = uuid.uuid4().hex[:8]
    kg.dataset_id = create_dataset(client, kg.member)
    paragraphs = [f"Ivan lives in Kyiv. {marker}", "Judy builds rockets at Orbital.", "Kyiv is a large city."]
    text = "\n\n".join(" ".join([paragraph] * 8) for paragraph in paragraphs)
    progress = build_document(
        app, client, kg.member, kg.dataset_id, "three.txt", text.encode(), process_type="custom", rule=ONE_PER_PARAGRAPH
    )
    segments = [s["id"] for s in list_segments(client, kg.member, kg.dataset_id, progress["id"])]
    assert len(segments) == 3
    llm.script_chat(
        marker,
        ChatReply(
            tool_calls=[
                ToolCall(
                    "KnowledgeGraphExtraction",
                    {
                        "entities": [
                            {"name": "Ivan", "type": "Person", "chunks": [1]},
                            {"name": "Kyiv", "type": "Location", "chunks": [1, 3]},
                            {"name": "Judy", "type": "Person", "chunks": [2, 9]},
                        ],
                        "relationships": [{"source": "Ivan", "target": "Kyiv", "type": "LIVES_IN", "chunks": []}],
                    },
                )
            ]
        ),
    )
    done = build(app, kg, [progress["id"]])
    assert (done["total_chunks"], done["processed_chunks"]) == (3, 3)
    [request] = llm.chat_requests(marker)
    user = request["messages"][-1]["content"]
    assert "[chunk 1]" in user and "[chunk 3]" in user and "Judy builds rockets" in user

    def chunks_of(name):
        [row] = query(kg, f"MATCH (n) WHERE n.name = '{name}' RETURN n")["results"]
        return sorted(c["chunk_id"] for c in row["n"]["source_chunks"])

    # An unknown chunk number is ignored; a relationship placed nowhere belongs to every chunk sent.
    assert chunks_of("Judy") == [segments[1]]
    assert chunks_of("Kyiv") == sorted(segments)  # its own chunks, and those of its relationship
    [row] = query(kg, "MATCH (a)-[r:LIVES_IN]->(b) RETURN r")["results"]
    assert sorted(c["chunk_id"] for c in row["r"]["source_chunks"]) == sorted(segments)
