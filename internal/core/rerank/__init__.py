"""Reranking: a second opinion on the order of retrieval's best candidates, behind one port."""

from .base import KeepOrder, Reranker, RerankError
from .chat_reranker import ChatReranker
from .factory import create_reranker
from .http_reranker import HttpReranker

__all__ = ["ChatReranker", "HttpReranker", "KeepOrder", "RerankError", "Reranker", "create_reranker"]
