"""Background work of the knowledge graph: a build reads its documents' chunks through the model
and writes the graph (Celery in production, the in-process queue when embedded)."""

import uuid

from celery import shared_task
from flask import current_app

from .service import BUILD_GRAPH_TASK, SWEEP_GRAPH_BUILDS_TASK, KnowledgeGraphService


@shared_task(name=BUILD_GRAPH_TASK)
def build_graph(build_id: str) -> None:
    """Extract and store the entities and relationships of a build's documents; progress and
    errors are recorded on the build's row."""
    current_app.extensions["injector"].get(KnowledgeGraphService).run_build(uuid.UUID(build_id))


@shared_task(name=SWEEP_GRAPH_BUILDS_TASK)
def sweep_graph_builds() -> None:
    """Fail the builds whose worker is gone (Celery beat, or a timer when embedded)."""
    current_app.extensions["injector"].get(KnowledgeGraphService).sweep_stale_builds()
