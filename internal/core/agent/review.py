"""Keyword review: a question containing a keyword is refused, keywords in answers are masked."""

import re

from .entities import ReviewConfig

MASK = "**"


def blocks_input(review: ReviewConfig, query: str) -> bool:
    if not review.inputs_enabled:
        return False
    lowered = query.lower()
    return any(keyword.lower() in lowered for keyword in review.keywords)


class OutputMasker:
    """Masks keywords in an answer that arrives in chunks.

    A keyword may be split across chunks, so the tail that could still grow into a keyword is
    held back until the next chunk (or `flush`) decides it.
    """

    def __init__(self, review: ReviewConfig):
        keywords = sorted({k.lower() for k in review.keywords}, key=len, reverse=True) if review.outputs_enabled else []
        self._keywords = keywords
        self._pattern = re.compile("|".join(map(re.escape, keywords)), re.IGNORECASE) if keywords else None
        self._pending = ""

    def feed(self, chunk: str) -> str:
        if self._pattern is None:
            return chunk
        text = self._pattern.sub(MASK, self._pending + chunk)
        held = self._undecided_tail(text)
        self._pending = text[len(text) - held :] if held else ""
        return text[: len(text) - held]

    def flush(self) -> str:
        rest, self._pending = self._pending, ""
        return rest

    def mask(self, text: str) -> str:
        return self._pattern.sub(MASK, text) if self._pattern else text

    def _undecided_tail(self, text: str) -> int:
        """Length of the longest end of `text` that is the start of a keyword."""
        lowered = text.lower()
        longest = 0
        for keyword in self._keywords:
            for size in range(min(len(keyword) - 1, len(lowered)), longest, -1):
                if keyword.startswith(lowered[-size:]):
                    longest = size
                    break
        return longest
