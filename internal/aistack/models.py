"""Every AI Stack system's models, imported so that Alembic and `flask db` see their tables."""

from internal.aistack.rag.knowledge_graph import models as rag_knowledge_graph

__all__ = ["rag_knowledge_graph"]
