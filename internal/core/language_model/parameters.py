"""Checks model parameter values against what a model declares, filling in defaults."""

from typing import Any

from .entities import ModelEntity, ModelParameter, ParameterType


class ParameterError(ValueError):
    """`field` names the parameter the message is about."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


def _check_type(parameter: ModelParameter, value: Any) -> Any:
    kind = parameter.type
    if kind is ParameterType.BOOLEAN:
        if not isinstance(value, bool):
            raise ParameterError(parameter.name, "必须是布尔值")
        return value
    if kind is ParameterType.STRING:
        if not isinstance(value, str):
            raise ParameterError(parameter.name, "必须是字符串")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParameterError(parameter.name, "必须是数字")
    if kind is ParameterType.INT:
        if isinstance(value, float) and not value.is_integer():
            raise ParameterError(parameter.name, "必须是整数")
        return int(value)
    return round(float(value), parameter.precision) if parameter.precision is not None else float(value)


def _check_value(parameter: ModelParameter, value: Any) -> Any:
    value = _check_type(parameter, value)
    if parameter.options and value not in parameter.options:
        raise ParameterError(parameter.name, f"必须是以下值之一：{parameter.options}")
    if parameter.min is not None and value < parameter.min:
        raise ParameterError(parameter.name, f"不能小于{parameter.min:g}")
    if parameter.max is not None and value > parameter.max:
        raise ParameterError(parameter.name, f"不能大于{parameter.max:g}")
    return value


def resolve_parameters(model: ModelEntity, values: dict[str, Any]) -> dict[str, Any]:
    """The values to build `model` with: each checked, unknown names refused, defaults filled in."""
    declared = {p.name: p for p in model.parameters}
    unknown = sorted(set(values) - set(declared))
    if unknown:
        raise ParameterError(unknown[0], f"模型{model.model}不支持该参数")
    resolved = {}
    for name, parameter in declared.items():
        if name in values and values[name] is not None:
            resolved[name] = _check_value(parameter, values[name])
        elif parameter.required:
            raise ParameterError(name, "不能为空")
        elif parameter.default is not None:
            resolved[name] = parameter.default
    return resolved
