"""HTTP handlers of the knowledge graph (aistack-api.md "知识图谱"): parse, one service call, envelope."""

import uuid
from dataclasses import dataclass

from injector import inject

from internal.aistack.gateway.auth import current_account_id
from internal.aistack.gateway.endpoint import aistack_endpoint
from internal.aistack.gateway.envelope import created, success

from .schemas import BuildGraphReq, GraphBuildResp, GraphQueryReq, GraphQueryResp, GraphStatsResp
from .service import KnowledgeGraphService

TAGS = ("knowledge-graph",)


@inject
@dataclass
class KnowledgeGraphHandler:
    service: KnowledgeGraphService

    @aistack_endpoint("rag", body=BuildGraphReq, resp=GraphBuildResp, status=201, extra_errors=(503,), tags=TAGS)
    def build(self, body: BuildGraphReq):
        """Start extracting entities and relationships from documents of the caller's account
        (a background job: poll GET /api/knowledge-graph/builds/{build_id})."""
        return created(GraphBuildResp.of(self.service.start_build(current_account_id(), body)))

    @aistack_endpoint("rag", resp=GraphBuildResp, tags=TAGS)
    def get_build(self, build_id: uuid.UUID):
        """A build's status and progress (processed_chunks of total_chunks)."""
        return success(GraphBuildResp.of(self.service.get_build(current_account_id(), build_id)))

    @aistack_endpoint("rag", body=GraphQueryReq, resp=GraphQueryResp, tags=TAGS)
    def query(self, body: GraphQueryReq):
        """Run a read-only Cypher query (MATCH … WHERE … RETURN …) over the caller's graph."""
        return success(self.service.query(current_account_id(), body))

    @aistack_endpoint("rag", resp=GraphStatsResp, tags=TAGS)
    def stats(self):
        """Nodes and edges of the caller's graph, per type."""
        return success(self.service.stats(current_account_id()))
