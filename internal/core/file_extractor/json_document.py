"""Text of a JSON file: one `key.path: value` line per value, so every value keeps the name it had.

Objects nest with dots and arrays with indexes (`items[0].title: …`); the elements of an array
of objects or arrays are separated by a blank line, which makes them natural segments.
"""

import json
import re

from .decoding import decode_text
from .errors import FileExtractError, describe
from .limits import ExtractLimits, TextBudget

_BLANK_LINE = object()
_BLANK_LINES = re.compile(r"\n{3,}")


def extract_json(data: bytes, limits: ExtractLimits) -> str:
    try:
        document = json.loads(decode_text(data))
    except FileExtractError:
        raise
    except (ValueError, RecursionError) as exc:
        raise FileExtractError(f"无法解析JSON文件：{describe(exc)}") from exc
    budget = TextBudget(limits.max_chars)
    for line in _flatten(document):
        budget.add("" if line is _BLANK_LINE else line)
    text = _BLANK_LINES.sub("\n\n", budget.join("\n")).strip()
    if not text:
        raise FileExtractError("JSON文件中没有可提取的内容")
    return text


def _flatten(document: object):
    # Depth-first with an explicit stack (children pushed in reverse) so deep nesting cannot
    # exhaust Python's recursion limit.
    stack: list[tuple[str, object]] = [("", document)]
    while stack:
        path, value = stack.pop()
        if value is _BLANK_LINE:
            yield _BLANK_LINE
        elif isinstance(value, dict):
            stack.extend((_key_path(path, str(key)), item) for key, item in reversed(list(value.items())))
        elif isinstance(value, list):
            separate = any(isinstance(item, (dict, list)) for item in value)
            for index in reversed(range(len(value))):
                stack.append((f"{path}[{index}]", value[index]))
                if separate and index > 0:
                    stack.append(("", _BLANK_LINE))
        else:
            text = _scalar_text(value)
            if text:
                yield f"{path}: {text}" if path else text


def _key_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _scalar_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return " ".join(value.split())
    # true/false as JSON writes them; numbers as they were.
    return json.dumps(value)
