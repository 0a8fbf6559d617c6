"""Every AI Stack system's background tasks, imported by the Celery worker to register them."""

from internal.aistack.rag.knowledge_graph import tasks as rag_knowledge_graph

__all__ = ["rag_knowledge_graph"]
