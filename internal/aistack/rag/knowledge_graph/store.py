"""Where the account's graph lives: a build's contributions written in one transaction
(entities merged by normalised name and type, what no document mentions any more dropped, the
size bounds kept), the graph loaded for Cypher, and its counts."""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field

import networkx as nx
from injector import inject
from sqlalchemy import delete, func, select

from config import Settings
from internal.aistack.gateway.errors import QuotaExceededException
from internal.service.base_service import BaseService

from . import cypher, extraction
from .models import GraphEntity, GraphMention, GraphRelationship
from .schemas import GraphStatsResp


@dataclass
class Contributions:
    """What the model found in one document, each item with the segments it came from."""

    entities: list[tuple[extraction.ExtractedEntity, list[uuid.UUID]]] = field(default_factory=list)
    relationships: list[tuple[extraction.ExtractedRelationship, list[uuid.UUID]]] = field(default_factory=list)


@inject
@dataclass
class GraphStore(BaseService):
    settings: Settings

    def replace_contributions(
        self, account_id: uuid.UUID, found: dict[uuid.UUID, Contributions], entities_wanted: bool, relationships_wanted: bool
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
                    # The ends of a relationship are mentioned where it is.
                    mentions.update(
                        {(document_id, s, None, relationship_id), (document_id, s, source, None), (document_id, s, target, None)}
                    )
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

    def load(self, account_id: uuid.UUID) -> nx.MultiDiGraph:
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


class _EntityResolver:
    """Entity ids by (normalised name, type) for one write: the account's existing entities,
    else new ones. A relationship's endpoint is the entity of that name this write has seen,
    else an existing one of that name, else a new Concept."""

    def __init__(self, session, account_id: uuid.UUID, found: dict[uuid.UUID, Contributions]):
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
