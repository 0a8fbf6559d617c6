"""An answer cut into the sentences that are synthesised one after another, so the first one's
audio can play while the rest is still being made."""

import re

# Sentence ends: CJK and Latin terminators, a "." only before whitespace (not "3.14"), line breaks.
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;…])|(?<=\.)(?=\s)|\n+")
# Markdown that would be read out loud: fences, emphasis, headings, bullets, quotes, table bars;
# a link or image keeps its text.
_MARKUP = re.compile(r"```[^\n]*|[`*|]+|^[ \t]*(?:#+|[-+>])[ \t]+|!?\[([^\]]*)\]\([^)]*\)", re.MULTILINE)
# Pieces shorter than this join the next one: one request per "1." or "OK." wastes round trips.
MIN_SENTENCE_CHARS = 6
# OpenAI's /audio/speech takes at most 4096 characters of input.
MAX_SENTENCE_CHARS = 4096


def split_sentences(text: str) -> list[str]:
    plain = _MARKUP.sub(lambda match: match.group(1) or "", text)
    sentences: list[str] = []
    pending = ""
    for piece in _SENTENCE_END.split(plain):
        pending = _join(pending, " ".join(piece.split()))
        if len(pending) >= MIN_SENTENCE_CHARS:
            sentences.extend(_cut(pending))
            pending = ""
    if pending:
        if sentences and len(sentences[-1]) + len(pending) < MAX_SENTENCE_CHARS:
            sentences[-1] = _join(sentences[-1], pending)
        else:
            sentences.append(pending)
    return sentences


def _join(first: str, second: str) -> str:
    """Latin sentences joined by a space, CJK ones directly."""
    if not first or not second:
        return first or second
    return f"{first} {second}" if first[-1].isascii() else first + second


def _cut(sentence: str) -> list[str]:
    return [sentence[i : i + MAX_SENTENCE_CHARS] for i in range(0, len(sentence), MAX_SENTENCE_CHARS)]
