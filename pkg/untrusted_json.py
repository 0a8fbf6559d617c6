"""Checks on data a client sent that no schema states: how deep its JSON nests, and NUL characters
(which no database stores)."""

import json
from typing import Any

NUL = "\x00"


class TooDeep(ValueError):
    """The document nests arrays and objects deeper than allowed."""


def loads_bounded(raw: bytes | str, max_depth: int) -> Any:
    """`json.loads`, refusing documents nested deeper than `max_depth` with TooDeep.

    The decoder itself recurses once per level and fails with RecursionError near the
    interpreter's limit; anything that deep is over the bound anyway.
    """
    try:
        value = json.loads(raw)
    except RecursionError:
        raise TooDeep(max_depth) from None
    stack = [(value, 1)] if isinstance(value, (dict, list)) else []
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            raise TooDeep(max_depth)
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return value


def find_nul(value: Any, loc: tuple = ()) -> tuple | None:
    """The location (keys and indexes) of the first string holding a NUL character, or None.

    A NUL inside a key is reported at the object holding that key.
    """
    stack = [(value, loc)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                return where
        elif isinstance(item, dict):
            if any(NUL in key for key in item if isinstance(key, str)):
                return where
            stack.extend((child, (*where, key)) for key, child in reversed(item.items()))
        elif isinstance(item, list):
            stack.extend((child, (*where, index)) for index, child in reversed(list(enumerate(item))))
    return None
