"""The knowledge graph's rules: which documents a build may read, the background build (the
model reads every chunk first, then the graph changes in one transaction, so a failed build
leaves it as it was), and read-only queries."""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from injector import inject
from langchain_core.language_models import BaseChatModel
from sqlalchemy import and_, or_, select

from config import Settings
from internal.aistack.gateway.errors import invalid_input
from internal.aistack.structured_model import configured_model
from internal.core.agent.agent_runner import describe_error
from internal.core.language_model.factory import LanguageModelFactory
from internal.exception import CustomException, NotFoundException
from internal.extension.database import utcnow
from internal.extension.kv_store import KeyValueStore
from internal.extension.task_queue import TaskQueue
from internal.model import Document, DocumentStatus, Segment, SegmentStatus
from internal.service.base_service import BaseService

from . import cypher, extraction
from .extraction import Chunk, KnowledgeGraphExtraction
from .models import GraphBuild, GraphBuildStatus
from .schemas import BuildGraphReq, GraphQueryReq, GraphQueryResp, GraphStatsResp
from .store import Contributions, GraphStore

logger = logging.getLogger(__name__)

BUILD_GRAPH_TASK = "internal.aistack.rag.knowledge_graph.tasks.build_graph"
SWEEP_GRAPH_BUILDS_TASK = "internal.aistack.rag.knowledge_graph.tasks.sweep_graph_builds"
# A queued build nobody started after this many times a running build's silence limit is lost
# (the embedded queue lives in memory; a restart drops it).
PENDING_PATIENCE = 10
BUILD_NOT_FOUND = "知识图谱构建任务不存在"
DOCUMENT_NOT_FOUND = "文档不存在或无权限访问"
# Seconds the account's graph write may hold its lock: one transaction of inserts and deletes.
WRITE_LOCK_TIMEOUT = 120


def _graph_lock(account_id: uuid.UUID) -> str:
    """Builds of one account write its graph one at a time (entities merge across them)."""
    return f"aistack-graph:{account_id}"


@inject
@dataclass
class KnowledgeGraphService(BaseService):
    settings: Settings
    model_factory: LanguageModelFactory
    task_queue: TaskQueue
    kv_store: KeyValueStore
    store: GraphStore

    # -- builds -------------------------------------------------------------------------

    def start_build(self, account_id: uuid.UUID, req: BuildGraphReq) -> GraphBuild:
        if not (req.extract_entities or req.extract_relationships):
            raise invalid_input("extract_entities", "extract_entities与extract_relationships不能都为false")
        document_ids = list(dict.fromkeys(req.document_ids))
        documents = self._own_documents(account_id, document_ids)
        unfinished = [str(d.id) for d in documents if d.status != DocumentStatus.COMPLETED.value]
        if unfinished:
            raise invalid_input("document_ids", f"文档尚未处理完成：{', '.join(unfinished)}")
        self._extraction_model()  # a model that cannot be called refuses the build now (503)
        build = GraphBuild(
            account_id=account_id,
            document_ids=[str(d.id) for d in documents],
            extract_entities=req.extract_entities,
            extract_relationships=req.extract_relationships,
        )
        self.db.session.add(build)
        self.db.session.commit()
        self.task_queue.enqueue(BUILD_GRAPH_TASK, str(build.id))
        return build

    def get_build(self, account_id: uuid.UUID, build_id: uuid.UUID) -> GraphBuild:
        return self.get_owned(GraphBuild, build_id, account_id, BUILD_NOT_FOUND)

    def run_build(self, build_id: uuid.UUID) -> None:
        """The background job; a redelivered one starts over (nothing was written before the end)."""
        build = self.db.session.get(GraphBuild, build_id)
        if build is None or build.status in (GraphBuildStatus.COMPLETED.value, GraphBuildStatus.FAILED.value):
            self.db.session.close()
            return
        try:
            self._build(build)
        except Exception as exc:
            self.db.session.rollback()
            if not isinstance(exc, CustomException):
                logger.warning("Knowledge graph build %s failed", build_id, exc_info=True)
            message = exc.message if isinstance(exc, CustomException) else describe_error(exc)
            self._finish(build_id, GraphBuildStatus.FAILED, error=f"知识图谱构建失败：{message}")

    def sweep_stale_builds(self) -> None:
        """Fail the builds whose worker is gone: running ones silent for longer than a model
        request and a broker redelivery take, queued ones never started long after. A build
        writes nothing until its end, so failing it loses no graph; the caller builds again."""
        jobs = self.settings.celery
        silence = self.settings.providers.llm_request_timeout + jobs.celery_visibility_timeout
        now = utcnow()
        stale = self.db.session.scalars(
            select(GraphBuild).where(
                or_(
                    and_(
                        GraphBuild.status == GraphBuildStatus.RUNNING.value,
                        GraphBuild.updated_at < now - timedelta(seconds=silence),
                    ),
                    and_(
                        GraphBuild.status == GraphBuildStatus.PENDING.value,
                        GraphBuild.updated_at < now - timedelta(seconds=silence * PENDING_PATIENCE),
                    ),
                )
            )
        ).all()
        for build in stale:
            build.status = GraphBuildStatus.FAILED.value
            build.error = "知识图谱构建中断（处理它的进程已退出），请重新构建"
            build.completed_at = now
        self.db.session.commit()

    def _build(self, build: GraphBuild) -> None:
        account_id, build_id = build.account_id, build.id
        wanted = (build.extract_entities, build.extract_relationships)
        document_ids = [uuid.UUID(d) for d in build.document_ids]
        segments = self.db.session.execute(
            select(Segment.id, Segment.document_id, Segment.content)
            .where(
                Segment.account_id == account_id,
                Segment.document_id.in_(document_ids),
                Segment.enabled.is_(True),
                Segment.status == SegmentStatus.COMPLETED.value,
            )
            .order_by(Segment.document_id, Segment.position)
        ).all()
        build.status = GraphBuildStatus.RUNNING.value
        build.started_at = utcnow()
        build.total_chunks = len(segments)
        build.processed_chunks = 0
        build.error = ""
        self.db.session.commit()
        llm = self._extraction_model()

        # The slow part, with no transaction open: every chunk through the model.
        found: dict[uuid.UUID, Contributions] = {document_id: Contributions() for document_id in document_ids}
        processed = 0
        for document_id, batch in self._batches(segments):
            result = extraction.extract(llm, batch, *wanted)
            self._collect(found[document_id], batch, result)
            processed += len(batch)
            self._record_progress(build_id, processed)

        with self.kv_store.lock(_graph_lock(account_id), timeout=WRITE_LOCK_TIMEOUT):
            build = self.db.session.get(GraphBuild, build_id)
            if build.status != GraphBuildStatus.RUNNING.value:
                self.db.session.rollback()  # the sweep gave this build up meanwhile
                return
            entities, relationships = self.store.replace_contributions(account_id, found, *wanted)
            build.status = GraphBuildStatus.COMPLETED.value
            build.entities_count, build.relationships_count = entities, relationships
            build.completed_at = utcnow()
            self.db.session.commit()

    def _batches(self, segments) -> list[tuple[uuid.UUID, list[Chunk]]]:
        """Consecutive chunks of one document, up to the batch size in characters per request."""
        limit = self.settings.aistack_graph.aistack_graph_batch_chars
        batches: list[tuple[uuid.UUID, list[Chunk]]] = []
        for segment_id, document_id, content in segments:
            last = batches[-1] if batches else None
            if last is None or last[0] != document_id or sum(len(c.content) for c in last[1]) + len(content) > limit:
                last = (document_id, [])
                batches.append(last)
            last[1].append(Chunk(len(last[1]) + 1, segment_id, content))
        return batches

    @staticmethod
    def _collect(found: Contributions, batch: list[Chunk], result: KnowledgeGraphExtraction) -> None:
        by_number = {chunk.number: chunk.segment_id for chunk in batch}

        def segments_of(numbers: list[int]) -> list[uuid.UUID]:
            # Items the model did not place in a chunk belong to all chunks of the request.
            chosen = [by_number[n] for n in dict.fromkeys(numbers) if n in by_number]
            return chosen or list(by_number.values())

        for entity in result.entities:
            if extraction.clean_name(entity.name):
                found.entities.append((entity, segments_of(entity.chunks)))
        for relationship in result.relationships:
            if extraction.clean_name(relationship.source) and extraction.clean_name(relationship.target):
                found.relationships.append((relationship, segments_of(relationship.chunks)))

    def _record_progress(self, build_id: uuid.UUID, processed: int) -> None:
        build = self.db.session.get(GraphBuild, build_id)
        build.processed_chunks = processed
        self.db.session.commit()

    def _finish(self, build_id: uuid.UUID, status: GraphBuildStatus, error: str = "") -> None:
        build = self.db.session.get(GraphBuild, build_id)
        build.status = status.value
        build.error = error[:2000]
        build.completed_at = utcnow()
        self.db.session.commit()

    # -- queries --------------------------------------------------------------------------

    def query(self, account_id: uuid.UUID, req: GraphQueryReq) -> GraphQueryResp:
        try:
            cypher.read_only_query(req.query)  # refuse a writing clause before loading anything
        except cypher.CypherError as exc:
            raise invalid_input("query", str(exc)) from None
        graph = self.store.load(account_id)
        self.db.session.commit()  # nothing stays open while the query runs
        try:
            result = cypher.run_query(graph, req.query, req.limit, self.settings.aistack_graph.aistack_graph_query_timeout)
        except cypher.CypherError as exc:
            raise invalid_input("query", str(exc)) from None
        return GraphQueryResp(results=result.rows, columns=result.columns, count=len(result.rows))

    def stats(self, account_id: uuid.UUID) -> GraphStatsResp:
        return self.store.stats(account_id)

    # -- collaborators ------------------------------------------------------------------------

    def _own_documents(self, account_id: uuid.UUID, document_ids: list[str]) -> list[Document]:
        """The account's documents of these ids, in order; any other id is not found."""
        parsed = []
        for document_id in document_ids:
            try:
                parsed.append(uuid.UUID(document_id))
            except ValueError:
                raise NotFoundException(f"{DOCUMENT_NOT_FOUND}：{document_id}") from None
        rows = self.db.session.scalars(
            select(Document).where(Document.account_id == account_id, Document.id.in_(parsed))
        ).all()
        by_id = {row.id: row for row in rows}
        missing = [str(d) for d in parsed if d not in by_id]
        if missing:
            raise NotFoundException(f"{DOCUMENT_NOT_FOUND}：{', '.join(missing)}")
        return [by_id[d] for d in parsed]

    def _extraction_model(self) -> BaseChatModel:
        """The configured extraction model (else the helper model); 503 when it cannot be called."""
        graph = self.settings.aistack_graph
        return configured_model(
            self.settings, self.model_factory, graph.aistack_graph_model_provider, graph.aistack_graph_model,
            "知识图谱的抽取模型", "AISTACK_GRAPH_MODEL_PROVIDER、AISTACK_GRAPH_MODEL",
        )  # fmt: skip
