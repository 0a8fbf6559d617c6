"""Text building blocks of the knowledge base: cleaning, token counts, splitting, keywords and search terms."""

from .cleaning import PRE_PROCESS_RULE_IDS, REMOVE_EXTRA_SPACE, REMOVE_URL_AND_EMAIL, clean_text
from .keywords import extract_keywords, search_terms
from .splitter import (
    AUTOMATIC_RULE,
    DEFAULT_CHUNK_OVERLAP,
    DEFAULT_CHUNK_SIZE,
    DEFAULT_SEPARATORS,
    MAX_CHUNK_SIZE,
    MIN_CHUNK_SIZE,
    max_chunk_overlap,
    split_text,
)
from .tokens import count_tokens, truncate_to_tokens

__all__ = [
    "AUTOMATIC_RULE",
    "DEFAULT_CHUNK_OVERLAP",
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_SEPARATORS",
    "MAX_CHUNK_SIZE",
    "MIN_CHUNK_SIZE",
    "PRE_PROCESS_RULE_IDS",
    "REMOVE_EXTRA_SPACE",
    "REMOVE_URL_AND_EMAIL",
    "clean_text",
    "count_tokens",
    "extract_keywords",
    "max_chunk_overlap",
    "search_terms",
    "split_text",
    "truncate_to_tokens",
]
