"""A node's input values: literals coerced by the variable's declared type, references looked up
in the outputs of finished nodes, and the same coercion for a run's start inputs."""

import math
from typing import Any

from .entities import ValueType, Variable, VariableType


class CoercionError(ValueError):
    """The value cannot be read as the declared type; the message is a Chinese sentence part."""


_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


def empty_value(var_type: VariableType) -> Any:
    """What an absent optional value or a `generated` value reads as."""
    return "" if var_type == VariableType.STRING else None


def coerce_value(var_type: VariableType, value: Any) -> Any:
    """`value` as `var_type`; strings are parsed (editors send literals as strings)."""
    if value is None:
        return empty_value(var_type)
    if var_type == VariableType.STRING:
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return str(value)
        raise CoercionError("必须是字符串")
    if isinstance(value, str):
        text = value.strip()
        if text == "":
            return None
        return _parse_text(var_type, text)
    if var_type == VariableType.BOOLEAN:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise CoercionError("必须是布尔值")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CoercionError("必须是整数" if var_type == VariableType.INT else "必须是数字")
    if var_type == VariableType.INT:
        if isinstance(value, float) and not value.is_integer():
            raise CoercionError("必须是整数")
        return int(value)
    return float(value)


def _parse_text(var_type: VariableType, text: str) -> Any:
    if var_type == VariableType.BOOLEAN:
        lowered = text.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise CoercionError("必须是布尔值")
    try:
        number = float(text)
    except ValueError:
        raise CoercionError("必须是整数" if var_type == VariableType.INT else "必须是数字") from None
    if not math.isfinite(number):
        raise CoercionError("必须是有限的数字")
    if var_type == VariableType.FLOAT:
        return number
    if not number.is_integer():
        raise CoercionError("必须是整数")
    return int(text) if text.lstrip("+-").isdigit() else int(number)  # int() keeps big integers exact


class UnresolvedReference(LookupError):
    """A reference to an output no finished node produced."""


def resolve_variable(variable: Variable, outputs: dict[str, dict[str, Any]]) -> Any:
    """The value of one input: `outputs` maps finished node ids to their outputs."""
    value = variable.value
    if value.type == ValueType.GENERATED:
        return empty_value(variable.type)
    if value.type == ValueType.REF:
        ref = value.ref()
        node_outputs = outputs.get(ref.ref_node_id) if ref is not None else None
        if node_outputs is None or ref.ref_var_name not in node_outputs:
            target = f"{ref.ref_node_id}.{ref.ref_var_name}" if ref is not None else "?"
            raise UnresolvedReference(f"{variable.name}: 引用的变量{target}不存在")
        return coerce_value(variable.type, node_outputs[ref.ref_var_name])
    return coerce_value(variable.type, value.content)
