"""Cuts mixed Chinese and other-language text into normalised words, with jieba for the Chinese runs.

jieba gets its own tokenizer, built once and quietly, with its dictionary cache in the system
temporary folder; jieba handles Chinese only, every other script is cut at non-word characters.
"""

import logging
import os
import re
import tempfile
import threading
import unicodedata
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import jieba

STOP_WORDS_FILE = Path(__file__).resolve().parent / "stopwords.txt"
# One folder per user: jieba writes its cache readable by its owner only.
_CACHE_OWNER = f"-{os.getuid()}" if hasattr(os, "getuid") else ""
JIEBA_CACHE_DIR = Path(tempfile.gettempdir()) / f"llmops-jieba{_CACHE_OWNER}"

# Han ideographs (basic, extension A, compatibility) go to jieba; any other run of letters or
# digits is one word. The character classes exclude each other so a run never straddles both.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD_RUN = re.compile(rf"(?P<han>[{_HAN}]+)|(?P<other>[^\W_{_HAN}]+)")

_tokenizer: jieba.Tokenizer | None = None
_tokenizer_lock = threading.Lock()


def get_tokenizer() -> jieba.Tokenizer:
    global _tokenizer
    if _tokenizer is None:
        with _tokenizer_lock:
            if _tokenizer is None:
                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                # jieba always writes a cache; without our folder it goes to a private new one.
                cache_dir = JIEBA_CACHE_DIR if _usable_cache_dir() else tempfile.mkdtemp(prefix="llmops-jieba-")
                tokenizer.tmp_dir = str(cache_dir)
                tokenizer.initialize()
                _tokenizer = tokenizer
    return _tokenizer


def _usable_cache_dir() -> bool:
    """Whether the shared cache folder exists and is ours."""
    try:
        JIEBA_CACHE_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
        # In a shared temporary folder, a folder someone else made could hold a forged cache.
        return not hasattr(os, "getuid") or JIEBA_CACHE_DIR.stat().st_uid == os.getuid()
    except OSError:
        return False


@cache
def stop_words() -> frozenset[str]:
    lines = STOP_WORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def normalize(text: str) -> str:
    """Full-width letters and digits become ASCII and case is folded, for documents and queries alike."""
    return unicodedata.normalize("NFKC", text).lower()


def iter_han_characters(text: str) -> Iterator[str]:
    """The Han characters of the normalised text, in order, repeats included."""
    for match in _WORD_RUN.finditer(normalize(text)):
        if match.group("han") is not None:
            yield from match.group("han")


def iter_words(text: str, *, for_search: bool) -> Iterator[str]:
    """Words of the normalised text, stop-words included, punctuation and spaces left out.

    `for_search` also yields the dictionary words inside longer Chinese words (jieba's search
    mode), and turns off jieba's guessing of unknown words, so that a query and a document
    that contains it are cut the same way.
    """
    tokenizer = get_tokenizer()
    for match in _WORD_RUN.finditer(normalize(text)):
        run = match.group("han")
        if run is None:
            yield match.group()
        elif for_search:
            yield from tokenizer.cut_for_search(run, HMM=False)
        else:
            yield from tokenizer.cut(run, HMM=True)
