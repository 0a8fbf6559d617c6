"""Read-only Cypher over an account's graph: the query is tokenised (strings, comments and
identifiers told apart) to refuse writing clauses, then run by grand-cypher on a networkx graph
under a deadline, and its rows made JSON."""

import ctypes
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import networkx as nx
from grandcypher import GrandCypher

logger = logging.getLogger(__name__)

# Clauses that change a graph or reach outside it (procedures, files), in any letter case.
WRITING_CLAUSES = frozenset({"CREATE", "MERGE", "SET", "DELETE", "REMOVE", "DETACH", "DROP", "LOAD", "CALL", "FOREACH"})
# Attributes the graph keeps for grand-cypher, not shown in results.
LABELS = "__labels__"

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class CypherError(Exception):
    """A query that cannot run: it writes, it does not parse, or it took too long."""


class QueryTimeout(BaseException):
    """Raised inside the query's thread when its time is up (BaseException: no library catches it)."""


@dataclass(frozen=True)
class _Token:
    kind: str  # "word", "string", "symbol"
    text: str


def _tokens(query: str) -> tuple[list[_Token], str]:
    """The query's tokens, and its text as grand-cypher reads it: comments blanked, strings kept
    whole (single-quoted ones turned into the double-quoted form grand-cypher reads), backtick
    identifiers unquoted, everything else as written."""
    tokens: list[_Token] = []
    text: list[str] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if query.startswith("//", i):
            end = query.find("\n", i)
            i = n if end < 0 else end
            text.append(" ")
        elif query.startswith("/*", i):
            end = query.find("*/", i + 2)
            if end < 0:
                raise CypherError("注释未闭合")
            i = end + 2
            text.append(" ")
        elif ch in "'\"":
            value, i = _string(query, i)
            literal = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
            tokens.append(_Token("string", literal))
            text.append(literal)
        elif ch == "`":
            end = query.find("`", i + 1)
            if end < 0:
                raise CypherError("标识符的反引号未闭合")
            tokens.append(_Token("word", query[i + 1 : end]))
            text.append(query[i + 1 : end])
            i = end + 1
        elif (match := _WORD.match(query, i)) is not None:
            tokens.append(_Token("word", match.group()))
            text.append(match.group())
            i = match.end()
        else:
            if not ch.isspace():
                tokens.append(_Token("symbol", ch))
            text.append(ch)
            i += 1
    return tokens, "".join(text)


def _string(query: str, start: int) -> tuple[str, int]:
    """The value of the string literal opening at `start`, and the index after it."""
    quote, i, value = query[start], start + 1, []
    escapes = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"'}
    while i < len(query):
        ch = query[i]
        if ch == "\\" and i + 1 < len(query):
            value.append(escapes.get(query[i + 1], query[i + 1]))
            i += 2
        elif ch == quote:
            return "".join(value), i + 1
        else:
            value.append(ch)
            i += 1
    raise CypherError("字符串未闭合")


def read_only_query(query: str) -> str:
    """The query as grand-cypher reads it; CypherError if it has a writing clause. A keyword is
    a clause only where one can stand: not a property (`n.set`), a label (`:Create`) or a map
    key (`{delete: 1}`), and never inside a string."""
    tokens, text = _tokens(query)
    for index, token in enumerate(tokens):
        if token.kind != "word" or token.text.upper() not in WRITING_CLAUSES:
            continue
        before = tokens[index - 1].text if index else ""
        after = tokens[index + 1].text if index + 1 < len(tokens) else ""
        if before in (".", ":") or after == ":":
            continue
        raise CypherError(f"知识图谱查询是只读的，不支持{token.text.upper()}子句")
    return text


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[dict[str, Any]]


def run_query(graph: nx.MultiDiGraph, query: str, limit: int, timeout: float) -> QueryResult:
    """At most `limit` rows of the read-only `query` (its own LIMIT applies when smaller)."""
    cypher = read_only_query(query)

    def execute() -> dict:
        return GrandCypher(graph, limit=limit).run(cypher)

    try:
        found = _with_deadline(execute, timeout)
    except QueryTimeout:
        raise CypherError(f"查询超过{timeout:g}秒未完成，请缩小匹配范围") from None
    except CypherError:
        raise
    except Exception as exc:
        # grand-cypher reports a query it cannot parse or evaluate with lark's errors and with
        # plain NotImplementedError/ValueError/KeyError from its transformer: all are the query's fault.
        logger.info("Cypher query refused: %s", exc)
        raise CypherError(f"查询语法有误或不受支持：{_first_line(exc)}") from None
    columns = _in_return_order([str(key) for key in found], cypher)
    values = [found[next(key for key in found if str(key) == column)] for column in columns]
    count = min(limit, min((len(v) for v in values), default=0))
    rows = [{column: to_json(value[i]) for column, value in zip(columns, values)} for i in range(count)]
    return QueryResult(columns, rows)


def _in_return_order(columns: list[str], cypher: str) -> list[str]:
    """grand-cypher answers a dict in an order of its own; the columns go as RETURN lists them."""
    start = cypher.lower().rfind("return")
    clause = re.split(r"(?i)\b(?:order\s+by|skip|limit)\b", cypher[start + len("return") :])[0]
    items, depth, current = [], 0, ""
    for ch in clause:
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            items.append(current)
            current = ""
        else:
            current += ch
    items.append(current)
    names = []
    for item in items:
        alias = re.search(r"(?i)\bas\s+([A-Za-z_][A-Za-z0-9_]*)\s*$", item)
        names.append(re.sub(r"\s+", "", alias.group(1) if alias else re.sub(r"(?i)^\s*distinct\b", "", item)))
    order = {name: index for index, name in enumerate(names)}
    return sorted(columns, key=lambda column: order.get(re.sub(r"\s+", "", column), len(order)))


def to_json(value: Any) -> Any:
    """A node's or relationship's attributes (without grand-cypher's labels), lists, sets and scalars as JSON."""
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items() if k != LABELS}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(to_json(v) for v in value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _with_deadline(func: Callable[[], Any], seconds: float) -> Any:
    """`func()` on a thread of its own, stopped with QueryTimeout if it runs past `seconds`
    (grand-cypher is pure Python, so the asynchronous exception lands between bytecodes)."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = func()
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="aistack-cypher", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(QueryTimeout))
        thread.join(1.0)
        raise QueryTimeout
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
