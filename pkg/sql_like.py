"""LIKE patterns that match user input literally (`%` and `_` are not wildcards)."""


def contains_pattern(word: str) -> str:
    """A pattern for `column.ilike(pattern, escape="\\\\")` matching values that contain `word`."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
