"""Splits a document's text into segments of at most `chunk_size` tokens along natural boundaries.

The separators are regular expressions tried in order: text that is too long is cut at every
match of the first separator that occurs in it, and a piece that is still too long is cut with
the next one. A separator stays at the end of the piece before it, so a sentence keeps its full
stop and every segment is an exact slice of the text. Pieces are then packed into segments, and
each new segment starts with the trailing pieces of the previous one that fit in
`chunk_overlap` tokens. A piece too long for every separator is cut by tokens; the empty
separator "" means exactly that.
"""

import re
from dataclasses import dataclass

from .tokens import count_tokens, encode, get_encoding

MIN_CHUNK_SIZE = 100
MAX_CHUNK_SIZE = 1000
DEFAULT_CHUNK_SIZE = 500
DEFAULT_CHUNK_OVERLAP = 50
_MIN_TOKEN_WINDOW = 16

# Paragraphs, lines, sentences (Chinese enders with any closing quotes; English enders followed by
# a space), clauses, words, then tokens.
DEFAULT_SEPARATORS = [
    "\n\n",
    "\n",
    "[。！？…]+[”’」』）]*|[.!?]+[\"')\\]]*\\s",
    "；|;\\s",
    "[，、]|,\\s",
    " ",
    "",
]

AUTOMATIC_RULE = {
    "pre_process_rules": [
        {"id": "remove_extra_space", "enabled": True},
        {"id": "remove_url_and_email", "enabled": False},
    ],
    "segment": {
        "separators": DEFAULT_SEPARATORS,
        "chunk_size": DEFAULT_CHUNK_SIZE,
        "chunk_overlap": DEFAULT_CHUNK_OVERLAP,
    },
}
"""The process rule of `process_type=automatic`, in the shape of 4.9's `rule`. Treat it as read-only."""


def max_chunk_overlap(chunk_size: int) -> int:
    """The largest overlap a custom rule may ask for: half the chunk size."""
    return chunk_size // 2


@dataclass(frozen=True)
class _Piece:
    text: str
    tokens: int


def split_text(text: str, separators: list[str], chunk_size: int, chunk_overlap: int) -> list[str]:
    """Segments of at most `chunk_size` tokens, stripped, never empty, in document order."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    if not 0 <= chunk_overlap < chunk_size:
        raise ValueError("chunk_overlap must be at least 0 and less than chunk_size")
    if not text.strip():
        return []
    patterns = [_compile_separator(separator) for separator in separators]
    # Pieces cut by tokens are the size of the overlap, so that the overlap can carry one; a
    # window of a few tokens would make unbroken text slow to cut, so tiny overlaps are lost there.
    token_window = min(max(chunk_overlap, _MIN_TOKEN_WINDOW), chunk_size) if chunk_overlap else chunk_size
    pieces = _split(text, count_tokens(text), patterns, chunk_size, token_window)
    return _merge(pieces, chunk_size, chunk_overlap)


def _compile_separator(separator: str) -> re.Pattern[str] | None:
    """None stands for the empty separator: cut by tokens."""
    if separator == "":
        return None
    try:
        return re.compile(separator)
    except re.error:
        # Rejecting bad patterns is the API's job; here an invalid one is taken literally.
        return re.compile(re.escape(separator))


def _split(
    text: str, tokens: int, patterns: list[re.Pattern[str] | None], chunk_size: int, token_window: int
) -> list[_Piece]:
    if tokens <= chunk_size:
        return [_Piece(text, tokens)]
    for index, pattern in enumerate(patterns):
        if pattern is None:
            break
        parts = _split_after_matches(text, pattern)
        if len(parts) < 2:
            continue
        pieces: list[_Piece] = []
        for part in parts:
            part_tokens = count_tokens(part)
            if part_tokens <= chunk_size:
                pieces.append(_Piece(part, part_tokens))
            else:
                pieces.extend(_split(part, part_tokens, patterns[index + 1 :], chunk_size, token_window))
        return pieces
    return _split_by_tokens(text, token_window)


def _split_after_matches(text: str, pattern: re.Pattern[str]) -> list[str]:
    """Cuts after each non-empty match; whitespace-only parts join the part before them."""
    parts: list[str] = []
    start = 0
    for match in pattern.finditer(text):
        if match.end() == match.start() or match.end() == len(text):
            continue
        part = text[start : match.end()]
        if not part.strip():
            if not parts:
                continue  # leading whitespace stays with the first real part
            parts[-1] += part
        else:
            parts.append(part)
        start = match.end()
    rest = text[start:]
    if parts and not rest.strip():
        parts[-1] += rest
    else:
        parts.append(rest)
    return parts


def _split_by_tokens(text: str, window: int) -> list[_Piece]:
    """Consecutive slices of about `window` tokens, cut between characters, never inside one."""
    data = text.encode("utf-8")
    encoding = get_encoding()
    token_ends: list[int] = []
    end = 0
    for token in encode(text):
        end += len(encoding.decode_single_token_bytes(token))
        token_ends.append(end)

    pieces: list[_Piece] = []
    start = 0
    first_token = 0
    while start < len(data):
        size = window
        while True:
            cut = _character_boundary(data, token_ends[min(first_token + size, len(token_ends)) - 1])
            if cut <= start:
                # One character wider than the window: take it whole.
                cut = _next_character_boundary(data, start + 1)
            piece = data[start:cut].decode("utf-8")
            tokens = count_tokens(piece)
            # Tokens re-counted on the slice can exceed the window by a little; shrink and retry.
            if tokens <= window or size == 1:
                break
            size = max(1, size - (tokens - window))
        pieces.append(_Piece(piece, tokens))
        start = cut
        while first_token < len(token_ends) and token_ends[first_token] <= start:
            first_token += 1
    return pieces


def _is_continuation_byte(data: bytes, position: int) -> bool:
    return position < len(data) and data[position] & 0xC0 == 0x80


def _character_boundary(data: bytes, position: int) -> int:
    while _is_continuation_byte(data, position):
        position -= 1
    return position


def _next_character_boundary(data: bytes, position: int) -> int:
    while _is_continuation_byte(data, position):
        position += 1
    return position


def _merge(pieces: list[_Piece], chunk_size: int, chunk_overlap: int) -> list[str]:
    chunks: list[str] = []
    start = 0
    previous_end = 0
    while start < len(pieces):
        end = start
        total = 0
        while end < len(pieces) and (end == start or total + pieces[end].tokens <= chunk_size):
            total += pieces[end].tokens
            end += 1
        # Token counts of pieces add up only approximately, so the chunk itself is counted; the
        # rare one over the limit gives back its last piece, or its overlap if that piece is new.
        while end - start > 1 and count_tokens(_join(pieces[start:end])) > chunk_size:
            if end - 1 > previous_end:
                end -= 1
            else:
                start += 1
        chunk = _join(pieces[start:end])
        if chunk:
            chunks.append(chunk)
        if end == len(pieces):
            break
        start = _overlap_start(pieces, start, end, chunk_size, chunk_overlap)
        previous_end = end
    return chunks


def _overlap_start(pieces: list[_Piece], start: int, end: int, chunk_size: int, chunk_overlap: int) -> int:
    """Where the next chunk starts: the trailing pieces of this one that fit in the overlap."""
    carried = 0
    next_start = end
    while next_start - 1 > start:
        candidate = carried + pieces[next_start - 1].tokens
        if candidate > chunk_overlap or candidate + pieces[end].tokens > chunk_size:
            break
        carried = candidate
        next_start -= 1
    return next_start


def _join(pieces: list[_Piece]) -> str:
    return "".join(piece.text for piece in pieces).strip()
