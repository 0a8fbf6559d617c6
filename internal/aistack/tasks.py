"""Every AI Stack system's background tasks, imported by the Celery worker to register them."""

from .auth.oauth2 import tasks as oauth2
from .chat.reminders import tasks as chat_reminders
from .content import tasks as content
from .learning import tasks as learning
from .rag.knowledge_graph import tasks as rag_knowledge_graph
from .stock import tasks as stock
from .task_agent import tasks as task_agent

__all__ = ["oauth2", "chat_reminders", "content", "learning", "rag_knowledge_graph", "stock", "task_agent"]
