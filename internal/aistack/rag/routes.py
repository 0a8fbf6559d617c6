"""The RAG system's routes under /api/ (the knowledge graph's are a route class of their own)."""

from dataclasses import dataclass

from injector import inject

from .handler import RagHandler


@inject
@dataclass
class RagRoutes:
    handler: RagHandler

    def routes(self) -> list[tuple]:
        h = self.handler
        return [
            ("POST", "/api/documents/ingest", h.ingest),
            ("POST", "/api/documents/batch-ingest", h.batch_ingest),
            ("GET", "/api/documents", h.list_documents),
            ("GET", "/api/documents/<uuid:document_id>", h.get_document),
            ("DELETE", "/api/documents/<uuid:document_id>", h.delete_document),
            ("POST", "/api/search/semantic", h.semantic_search),
            ("POST", "/api/search/hybrid", h.hybrid_search),
            ("POST", "/api/verification/verify", h.verify),
        ]
