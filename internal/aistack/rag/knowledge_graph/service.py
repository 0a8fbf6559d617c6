"""The knowledge graph's rules: which documents a build may read, the background build (the
model reads every chunk first, then the graph changes in one transaction, so a failed build
leaves it as it was), merging entities per account, and loading the graph Cypher runs on."""

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

import networkx as nx
from injector import inject
from langchain_core.language_models import BaseChatModel
from sqlalchemy import and_, delete, func, or_, select

from config import Settings
from internal.aistack.gateway.errors import QuotaExceededException, ServiceUnavailableException, invalid_input
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
from .models import GraphBuild, GraphBuildStatus, GraphEntity, GraphMention, GraphRelationship
from .schemas import BuildGraphReq, GraphQueryReq, GraphQueryResp, GraphStatsResp

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


@dataclass
class _Found:
    """What the model found in one document, each item with the segments it came from."""

    entities: list[tuple[extraction.ExtractedEntity, list[uuid.UUID]]] = field(default_factory=list)
    relationships: list[tuple[extraction.ExtractedRelationship, list[uuid.UUID]]] = field(default_factory=list)


@inject
@dataclass
class KnowledgeGraphService(BaseService):
    settings: Settings
    model_factory: LanguageModelFactory
    task_queue: TaskQueue
    kv_store: KeyValueStore

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
        found: dict[uuid.UUID, _Found] = {document_id: _Found() for document_id in document_ids}
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
            entities, relationships = self._write(account_id, found, *wanted)
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
    def _collect(found: _Found, batch: list[Chunk], result: KnowledgeGraphExtraction) -> None:
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

    # -- writing the graph (one transaction) --------------------------------------------

    def _write(
        self, account_id: uuid.UUID, found: dict[uuid.UUID, _Found], entities_wanted: bool, relationships_wanted: bool
    ) -> tuple[int, int]:
        """Replace the documents' contributions; returns the entities and relationships they now make."""
        session = self.db.session
        session.execute(
            delete(GraphMention).where(GraphMention.account_id == account_id, GraphMention.document_id.in_(list(found)))
        )
        entity_ids = _EntityResolver(session, account_id, found)
        touched_entities: set[uuid.UUID] = set()
        touched_relationships: set[uuid.UUID] = set()
        mentions: set[tuple] = set()
        relationships = _RelationshipResolver(session, account_id)
        for document_id, document in found.items():
            if entities_wanted:
                for entity, segment_ids in document.entities:
                    entity_id = entity_ids.of(entity.name, entity.type, entity.description)
                    touched_entities.add(entity_id)
                    mentions.update((document_id, s, entity_id, None) for s in segment_ids)
            if not relationships_wanted:
                continue
            for relationship, segment_ids in document.relationships:
                source = entity_ids.endpoint(relationship.source)
                target = entity_ids.endpoint(relationship.target)
                if source == target:
                    continue
                relationship_id = relationships.of(source, target, relationship.type, relationship.description)
                touched_relationships.add(relationship_id)
                touched_entities.update((source, target))
                for s in segment_ids:
                    mentions.update({(document_id, s, None, relationship_id), (document_id, s, source, None), (document_id, s, target, None)})
        session.flush()  # entities and relationships first: mentions refer to them
        session.add_all(
            GraphMention(account_id=account_id, document_id=d, segment_id=s, entity_id=e, relationship_id=r)
            for d, s, e, r in mentions
        )
        session.flush()
        self._drop_unsupported(account_id)
        self._check_size(account_id)
        return len(touched_entities), len(touched_relationships)

    def _drop_unsupported(self, account_id: uuid.UUID) -> None:
        """Entities and relationships no document mentions any more."""
        session = self.db.session
        supported = select(GraphMention.relationship_id).where(
            GraphMention.account_id == account_id, GraphMention.relationship_id.is_not(None)
        )
        session.execute(
            delete(GraphRelationship).where(GraphRelationship.account_id == account_id, GraphRelationship.id.not_in(supported))
        )
        supported = select(GraphMention.entity_id).where(GraphMention.account_id == account_id, GraphMention.entity_id.is_not(None))
        session.execute(delete(GraphEntity).where(GraphEntity.account_id == account_id, GraphEntity.id.not_in(supported)))

    def _check_size(self, account_id: uuid.UUID) -> None:
        limits = self.settings.aistack_graph
        nodes = self.db.session.scalar(select(func.count()).where(GraphEntity.account_id == account_id))
        edges = self.db.session.scalar(select(func.count()).where(GraphRelationship.account_id == account_id))
        if nodes > limits.aistack_graph_max_nodes or edges > limits.aistack_graph_max_edges:
            raise QuotaExceededException(
                f"知识图谱将有{nodes}个实体、{edges}个关系，超过上限"
                f"（{limits.aistack_graph_max_nodes}个实体、{limits.aistack_graph_max_edges}个关系）"
            )

    # -- reading the graph ----------------------------------------------------------------

    def query(self, account_id: uuid.UUID, req: GraphQueryReq) -> GraphQueryResp:
        try:
            cypher.read_only_query(req.query)  # refuse a writing clause before loading anything
        except cypher.CypherError as exc:
            raise invalid_input("query", str(exc)) from None
        graph = self._load_graph(account_id)
        self.db.session.commit()  # nothing stays open while the query runs
        try:
            result = cypher.run_query(graph, req.query, req.limit, self.settings.aistack_graph.aistack_graph_query_timeout)
        except cypher.CypherError as exc:
            raise invalid_input("query", str(exc)) from None
        return GraphQueryResp(results=result.rows, columns=result.columns, count=len(result.rows))

    def stats(self, account_id: uuid.UUID) -> GraphStatsResp:
        session = self.db.session
        node_types = dict(
            session.execute(
                select(GraphEntity.type, func.count()).where(GraphEntity.account_id == account_id).group_by(GraphEntity.type)
            ).all()
        )
        edge_types = dict(
            session.execute(
                select(GraphRelationship.type, func.count())
                .where(GraphRelationship.account_id == account_id)
                .group_by(GraphRelationship.type)
            ).all()
        )
        documents = session.scalar(
            select(func.count(func.distinct(GraphMention.document_id))).where(GraphMention.account_id == account_id)
        )
        return GraphStatsResp(
            nodes=sum(node_types.values()),
            edges=sum(edge_types.values()),
            node_types=node_types,
            edge_types=edge_types,
            documents=documents or 0,
        )

    def _load_graph(self, account_id: uuid.UUID) -> nx.MultiDiGraph:
        session = self.db.session
        limits = self.settings.aistack_graph
        chunks: dict[uuid.UUID, list[dict]] = defaultdict(list)
        mentions = session.execute(
            select(GraphMention.entity_id, GraphMention.relationship_id, GraphMention.document_id, GraphMention.segment_id)
            .where(GraphMention.account_id == account_id)
            .order_by(GraphMention.document_id, GraphMention.segment_id)
        )
        for entity_id, relationship_id, document_id, segment_id in mentions:
            chunks[entity_id or relationship_id].append({"document_id": str(document_id), "chunk_id": str(segment_id)})
        entities = session.execute(
            select(GraphEntity.id, GraphEntity.name, GraphEntity.type, GraphEntity.description)
            .where(GraphEntity.account_id == account_id)
            .limit(limits.aistack_graph_max_nodes + 1)
        ).all()
        relationships = session.execute(
            select(
                GraphRelationship.id,
                GraphRelationship.source_id,
                GraphRelationship.target_id,
                GraphRelationship.type,
                GraphRelationship.description,
            )
            .where(GraphRelationship.account_id == account_id)
            .limit(limits.aistack_graph_max_edges + 1)
        ).all()
        if len(entities) > limits.aistack_graph_max_nodes or len(relationships) > limits.aistack_graph_max_edges:
            raise QuotaExceededException("知识图谱超过查询的规模上限")
        graph = nx.MultiDiGraph()
        names = {}
        for entity_id, name, type_, description in entities:
            names[entity_id] = name
            graph.add_node(
                str(entity_id),
                **{cypher.LABELS: {type_}},
                id=str(entity_id),
                name=name,
                type=type_,
                description=description,
                source_chunks=chunks.get(entity_id, []),
            )
        for relationship_id, source_id, target_id, type_, description in relationships:
            graph.add_edge(
                str(source_id),
                str(target_id),
                **{cypher.LABELS: {type_}},
                id=str(relationship_id),
                type=type_,
                source=str(source_id),
                target=str(target_id),
                source_name=names.get(source_id, ""),
                target_name=names.get(target_id, ""),
                description=description,
                source_chunks=chunks.get(relationship_id, []),
            )
        return graph

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
        graph, agent = self.settings.aistack_graph, self.settings.agent
        provider = graph.aistack_graph_model_provider or agent.helper_model_provider
        model = graph.aistack_graph_model or agent.helper_model
        try:
            return self.model_factory.create(provider, model)
        except CustomException as exc:
            raise ServiceUnavailableException(
                f"知识图谱的抽取模型不可用（AISTACK_GRAPH_MODEL_PROVIDER、AISTACK_GRAPH_MODEL）：{exc.message}"
            ) from None


class _EntityResolver:
    """Entity ids by (normalised name, type) for one write: the account's existing entities,
    else new ones. A relationship's endpoint is the entity of that name this write has seen,
    else an existing one of that name, else a new Concept."""

    def __init__(self, session, account_id: uuid.UUID, found: dict[uuid.UUID, _Found]):
        self.session = session
        self.account_id = account_id
        names = {extraction.normalize_name(e.name) for doc in found.values() for e, _ in doc.entities}
        names |= {
            extraction.normalize_name(n) for doc in found.values() for r, _ in doc.relationships for n in (r.source, r.target)
        }
        existing = session.scalars(
            select(GraphEntity).where(GraphEntity.account_id == account_id, GraphEntity.normalized_name.in_(names))
        ).all()
        self.by_key = {(e.normalized_name, e.type): e for e in existing}
        self.existing_by_name: dict[str, GraphEntity] = {}
        for e in existing:
            self.existing_by_name.setdefault(e.normalized_name, e)
        # Types the extraction gave each name, so an endpoint matches an entity of this write.
        self.types: dict[str, str] = {}
        for doc in found.values():
            for entity, _ in doc.entities:
                self.types.setdefault(extraction.normalize_name(entity.name), extraction.entity_type(entity.type))

    def of(self, name: str, type_: str, description: str) -> uuid.UUID:
        key = (extraction.normalize_name(name), extraction.entity_type(type_))
        entity = self.by_key.get(key)
        if entity is None:
            entity = GraphEntity(
                id=uuid.uuid4(),
                account_id=self.account_id,
                name=extraction.clean_name(name),
                normalized_name=key[0],
                type=key[1],
                description=description.strip(),
            )
            self.session.add(entity)
            self.by_key[key] = entity
        elif not entity.description and description.strip():
            entity.description = description.strip()
        return entity.id

    def endpoint(self, name: str) -> uuid.UUID:
        normalized = extraction.normalize_name(name)
        if normalized in self.types:
            return self.of(name, self.types[normalized], "")
        existing = self.existing_by_name.get(normalized)
        if existing is not None:
            return existing.id
        return self.of(name, extraction.DEFAULT_ENTITY_TYPE, "")


class _RelationshipResolver:
    """Relationship ids by (source, target, type): existing ones of the account, else new ones."""

    def __init__(self, session, account_id: uuid.UUID):
        self.session = session
        self.account_id = account_id
        self.by_key: dict[tuple, GraphRelationship] = {}

    def of(self, source: uuid.UUID, target: uuid.UUID, type_: str, description: str) -> uuid.UUID:
        key = (source, target, extraction.relationship_type(type_))
        relationship = self.by_key.get(key)
        if relationship is None:
            relationship = self.session.scalar(
                select(GraphRelationship).where(
                    GraphRelationship.account_id == self.account_id,
                    GraphRelationship.source_id == source,
                    GraphRelationship.target_id == target,
                    GraphRelationship.type == key[2],
                )
            )
        if relationship is None:
            relationship = GraphRelationship(
                id=uuid.uuid4(),
                account_id=self.account_id,
                source_id=source,
                target_id=target,
                type=key[2],
                description=description.strip(),
            )
            self.session.add(relationship)
        elif not relationship.description and description.strip():
            relationship.description = description.strip()
        self.by_key[key] = relationship
        return relationship.id
