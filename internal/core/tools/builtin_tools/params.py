"""Checks the settings a user chose for a built-in tool against what the tool's YAML declares."""

import math
from collections.abc import Mapping
from typing import Any

from internal.exception import ValidateErrorException

from .entities import ToolEntity, ToolParam, ToolParamType


def _invalid(param: ToolParam, text: str) -> ValidateErrorException:
    return ValidateErrorException(f"params.{param.name}: {text}")


def check_param_value(param: ToolParam, value: Any) -> Any:
    if param.type is ToolParamType.STRING and not isinstance(value, str):
        raise _invalid(param, "必须是字符串")
    if param.type is ToolParamType.BOOLEAN and not isinstance(value, bool):
        raise _invalid(param, "必须是布尔值")
    if param.type is ToolParamType.SELECT and value not in param.option_values:
        raise _invalid(param, f"必须是以下值之一：{'、'.join(param.option_values)}")
    if param.type is ToolParamType.NUMBER:
        # bool is an int in Python, but `true` is not a number a user meant.
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise _invalid(param, "必须是数字")
        if param.min is not None and value < param.min:
            raise _invalid(param, f"必须大于等于{param.min:g}")
        if param.max is not None and value > param.max:
            raise _invalid(param, f"必须小于等于{param.max:g}")
    return value


def resolve_params(tool: ToolEntity, given: Any) -> dict[str, Any]:
    """The checked settings with declared defaults filled in; a param left null takes its default."""
    if not isinstance(given, Mapping):
        raise ValidateErrorException("params: 必须是对象")
    for name in given:
        if tool.param(name) is None:
            raise ValidateErrorException(f"params.{name}: 是{tool.name}不支持的参数")

    resolved: dict[str, Any] = {}
    for param in tool.params:
        value = given.get(param.name)
        if value is None:
            value = param.default
        if value is None:
            if param.required:
                raise _invalid(param, "不能为空")
            continue
        resolved[param.name] = check_param_value(param, value)
    return resolved
