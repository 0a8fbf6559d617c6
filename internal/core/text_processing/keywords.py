"""Keywords of a segment (TF-IDF over jieba's IDF table) and the terms of full-text (BM25) search."""

import functools
import re
import threading
from collections import Counter
from pathlib import Path

from .words import iter_han_characters, iter_words, stop_words

MAX_TERM_LENGTH = 64
# Han characters this common (IDF in jieba's table below this) are not terms of their own: their
# postings would cover much of a large index and slow every query for little ranking gain.
CHARACTER_MIN_IDF = 5.0
CLASSICAL_GLOSSARY_FILE = Path(__file__).resolve().parent / "classical_glossary.txt"
# The weight of a classical equivalent a query is expanded with, beside 1 for the query's own terms.
EXPANSION_WEIGHT = 0.5

_HAS_LETTER = re.compile(r"[^\W\d_]")
_ASCII_WORD = re.compile(r"[a-z]+")

_idf: tuple[dict[str, float], float] | None = None
_idf_lock = threading.Lock()


def extract_keywords(text: str, top_k: int = 10) -> list[str]:
    """Up to `top_k` distinct keywords, most characteristic first.

    A word scores its frequency times its IDF from jieba's table (words the table does not
    know, such as most English, get its median). Stop-words, single characters and words
    without a letter are left out; English comes lowercased.
    """
    if top_k <= 0:
        return []
    excluded = stop_words()
    frequencies: dict[str, int] = {}
    for word in iter_words(text, for_search=False):
        if len(word) < 2 or word in excluded or not _HAS_LETTER.search(word):
            continue
        word = word[:MAX_TERM_LENGTH]
        frequencies[word] = frequencies.get(word, 0) + 1
    idf, median_idf = _idf_table()
    # sorted() is stable, so equal scores keep the order of first appearance.
    ranked = sorted(frequencies, key=lambda word: frequencies[word] * idf.get(word, median_idf), reverse=True)
    return ranked[:top_k]


def search_terms(text: str) -> list[str]:
    """The terms BM25 indexes for a segment and looks up for a query, repeats included.

    Chinese is cut in jieba's search mode, everything else at non-word characters; case and
    full-width forms are folded, English plurals reduced, stop-words and punctuation dropped,
    and terms cut to 64 characters. Every Han character that is neither a stop-word nor very
    common is a term of its own too, after the words: a paraphrase rarely repeats the text's words but often its
    characters (贤能 for 贤, 争夺 for 争), and classical Chinese is mostly one-character words
    that jieba's modern dictionary cuts badly. Documents and queries must both go through this
    function; changing it means rebuilding the keyword index (see migrations 0027).
    """
    excluded = stop_words()
    terms: list[str] = []
    for word in iter_words(text, for_search=True):
        if word in excluded:
            continue
        if _ASCII_WORD.fullmatch(word):
            word = _singular(word)
        terms.append(word[:MAX_TERM_LENGTH])
    terms.extend(character for character in iter_han_characters(text) if _distinctive(character))
    return terms


def weighted_query_terms(query: str) -> dict[str, float]:
    """A query's search terms with their weights: each of its own terms counts its repeats; a
    modern word of the classical glossary adds the terms of its classical equivalents at
    EXPANSION_WEIGHT (a term the query has itself keeps its own weight). A modern question
    about a classical text shares few of its words (知道 for 知, 百姓 for 民)."""
    weights: dict[str, float] = dict(Counter(search_terms(query)))
    glossary = classical_glossary()
    for word in iter_words(query, for_search=True):
        for equivalent in glossary.get(word, ()):
            for term in search_terms(equivalent):
                if weights.get(term, 0.0) < EXPANSION_WEIGHT:
                    weights[term] = EXPANSION_WEIGHT
    return weights


@functools.cache
def classical_glossary() -> dict[str, tuple[str, ...]]:
    """Modern word → its classical equivalents, from classical_glossary.txt."""
    glossary = {}
    for line in CLASSICAL_GLOSSARY_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            modern, *classical = line.split()
            glossary[modern] = tuple(word for word in classical if word != modern)
    return glossary


@functools.lru_cache(maxsize=65536)
def _distinctive(character: str) -> bool:
    """Whether a Han character is a search term of its own: neither a stop-word nor very common."""
    idf, median_idf = _idf_table()
    return character not in stop_words() and idf.get(character, median_idf) >= CHARACTER_MIN_IDF


def _singular(word: str) -> str:
    """A deliberately small stemmer: regular plurals of English words of four letters or more."""
    if len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _idf_table() -> tuple[dict[str, float], float]:
    global _idf
    if _idf is None:
        with _idf_lock:
            if _idf is None:
                # Imported here because jieba.analyse parses its IDF table on import (about a
                # second); only that table is used, not its extractor.
                import jieba.analyse

                _idf = jieba.analyse.default_tfidf.idf_loader.get_idf()
    return _idf
