"""Every AI Stack system's background tasks, imported by the Celery worker to register them."""

from .chat.reminders import tasks as chat_reminders
from .learning import tasks as learning
from .rag.knowledge_graph import tasks as rag_knowledge_graph
from .stock import tasks as stock

__all__ = ["chat_reminders", "learning", "rag_knowledge_graph", "stock"]
