"""Requests and answers of the knowledge graph's endpoints."""

from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from internal.aistack.gateway.envelope import IsoTime, RowResp
from internal.schema.common import RequestModel

from .models import GraphBuild

MAX_DOCUMENTS = 50
MAX_QUERY_CHARS = 10_000


class BuildGraphReq(RequestModel):
    document_ids: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]] = Field(
        min_length=1, max_length=MAX_DOCUMENTS, description="Documents (the platform's document ids) of the caller's account"
    )
    extract_entities: bool = True
    extract_relationships: bool = True


class GraphBuildResp(RowResp):
    build_id: str
    status: str = Field(description="pending | running | completed | failed")
    document_ids: list[str]
    extract_entities: bool
    extract_relationships: bool
    total_chunks: int
    processed_chunks: int
    progress: float = Field(description="processed_chunks / total_chunks, 0 to 1")
    entities_count: int = Field(description="Entities the build's documents contribute (once completed)")
    relationships_count: int
    error: str
    created_at: IsoTime
    started_at: IsoTime | None
    completed_at: IsoTime | None

    @classmethod
    def of(cls, build: GraphBuild) -> "GraphBuildResp":
        done = build.status == "completed"
        progress = 1.0 if done else (build.processed_chunks / build.total_chunks if build.total_chunks else 0.0)
        return super().of(build, build_id=str(build.id), progress=round(progress, 4))


class GraphQueryReq(RequestModel):
    query: Annotated[str, StringConstraints(min_length=1, max_length=MAX_QUERY_CHARS)] = Field(
        examples=["MATCH (n:Person)-[r:WORKS_AT]->(c:Company) RETURN n, r, c"]
    )
    limit: int = Field(10, ge=1, le=100, description="Most rows answered")


class GraphQueryResp(BaseModel):
    results: list[dict[str, Any]] = Field(
        description="One object per row, keyed by the RETURN columns; a node is {id, name, type, description, "
        "source_chunks: [{document_id, chunk_id}]}, a relationship {id, type, source, target, source_name, "
        "target_name, description, source_chunks}"
    )
    columns: list[str]
    count: int


class GraphStatsResp(BaseModel):
    nodes: int
    edges: int
    node_types: dict[str, int]
    edge_types: dict[str, int]
    documents: int = Field(description="Documents contributing to the graph")
