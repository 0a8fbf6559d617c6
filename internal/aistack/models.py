"""Every AI Stack model, imported so that the metadata (and `flask db`) sees their tables: one
line per system or shared part."""

from .auth.oauth2 import models as oauth2_models
from .chat import models as chat_models
from .chat.reminders import models as reminder_models
from .content import models as content_models
from .erp import models as erp_models
from .learning import models as learning_models
from .rag import models as rag_models
from .rag.knowledge_graph import models as knowledge_graph_models
from .resources import models as resources_models
from .stock import models as stock_models
from .task_agent import models as task_agent_models
from .trends import models as trends_models

__all__ = [
    "chat_models", "content_models", "erp_models", "knowledge_graph_models", "learning_models", "oauth2_models",
    "rag_models", "reminder_models", "resources_models", "stock_models", "task_agent_models", "trends_models",
]  # fmt: skip
