"""The knowledge graph's routes in the RAG system (under /aistack/rag and on port 8011)."""

from dataclasses import dataclass

from injector import inject

from .handler import KnowledgeGraphHandler


@inject
@dataclass
class KnowledgeGraphRoutes:
    handler: KnowledgeGraphHandler

    def routes(self) -> list[tuple]:
        return [
            ("POST", "/api/knowledge-graph/build", self.handler.build),
            ("GET", "/api/knowledge-graph/builds/<uuid:build_id>", self.handler.get_build),
            ("POST", "/api/knowledge-graph/query", self.handler.query),
            ("GET", "/api/knowledge-graph/stats", self.handler.stats),
        ]
