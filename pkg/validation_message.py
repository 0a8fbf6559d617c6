"""Turns a pydantic ValidationError into one readable message naming the offending field."""

from pydantic import ValidationError

_TEMPLATES = {
    "missing": "不能为空",
    "string_type": "必须是字符串",
    "string_too_short": "长度不能少于{min_length}个字符",
    "string_too_long": "长度不能超过{max_length}个字符",
    "string_pattern_mismatch": "格式不正确",
    "too_short": "至少需要{min_length}项",
    "too_long": "最多只能有{max_length}项",
    "int_type": "必须是整数",
    "int_parsing": "必须是整数",
    "int_from_float": "必须是整数",
    "float_type": "必须是数字",
    "float_parsing": "必须是数字",
    "bool_type": "必须是布尔值",
    "bool_parsing": "必须是布尔值",
    "greater_than": "必须大于{gt}",
    "greater_than_equal": "必须大于等于{ge}",
    "less_than": "必须小于{lt}",
    "less_than_equal": "必须小于等于{le}",
    "uuid_type": "必须是合法的UUID",
    "uuid_parsing": "必须是合法的UUID",
    "list_type": "必须是数组",
    "dict_type": "必须是对象",
    "model_type": "必须是对象",
    "model_attributes_type": "必须是对象",
    "literal_error": "必须是以下值之一：{expected}",
    "enum": "必须是以下值之一：{expected}",
    "union_tag_invalid": "必须是以下类型之一：{expected_tags}",
    "extra_forbidden": "是不支持的字段",
    "url_parsing": "必须是合法的URL",
    "url_scheme": "必须是http或https地址",
    "decimal_max_places": "最多保留{decimal_places}位小数",
    "multiple_of": "必须是{multiple_of}的倍数",
}


def field_name(loc: tuple) -> str:
    """`("tools", 0, "provider_id")` → `tools[0].provider_id`."""
    name = ""
    for part in loc:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else str(part)
    return name or "body"


def describe(error: dict) -> str:
    name = field_name(tuple(p for p in error.get("loc", ()) if p not in ("__root__",)))
    error_type = error.get("type", "")
    if error_type == "value_error" or error_type == "assertion_error":
        # Our own validators raise ValueError with a finished sentence.
        text = str(error.get("ctx", {}).get("error", error.get("msg", "")))
    elif error_type in _TEMPLATES:
        try:
            text = _TEMPLATES[error_type].format(**error.get("ctx", {}))
        except (KeyError, IndexError):
            text = error.get("msg", "")
    else:
        text = error.get("msg", "")
    return f"{name}: {text}"


def describe_validation_error(exc: ValidationError) -> str:
    """The first error only: a front end shows one message beside one field."""
    errors = exc.errors(include_url=False)
    return describe(errors[0]) if errors else "数据校验失败"


def describe_fields(exc: ValidationError) -> dict[str, str]:
    """Every offending field with what is wrong with it, `{"top_k": "必须是整数"}`."""
    fields: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        name, _, text = describe(error).partition(": ")
        fields.setdefault(name, text)
    return fields
