"""Reads the project's simplified OpenAPI schema (appendix 01) and says exactly where it is wrong.

Top level: `description`, `server` (one http(s) base URL) and `paths`; each path has `get` and/or
`post` operations with `description`, `operationId` and `parameters`. Unknown keys are ignored,
so a schema pasted from a fuller OpenAPI document still reads.
"""

import json
import re
from typing import Any
from urllib.parse import urlsplit

from .entities import ApiOperation, ApiToolParameter, OpenAPISchema, ParameterIn, ParameterType

METHODS = ("get", "post")
MAX_URL_LENGTH = 2048  # the api_tool.url column
# The operationId is the tool's name for the model: function-calling APIs accept this alphabet.
OPERATION_ID_RULE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
HTTP_TOKEN_RULE = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
PATH_VARIABLE_RULE = re.compile(r"\{([^{}]+)\}")


class OpenAPISchemaError(ValueError):
    """The message names the offending field, as in `paths./weather.get.operationId不能为空`."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"openapi-schema校验失败，{field}{problem}")


def parse_openapi_schema(text: str) -> OpenAPISchema:
    try:
        document = json.loads(text)
    except (TypeError, ValueError):
        raise OpenAPISchemaError("openapi_schema", "必须是合法的JSON字符串") from None
    if not isinstance(document, dict):
        raise OpenAPISchemaError("openapi_schema", "必须是JSON对象")

    description = _required_text(document, "description", "description")
    server = _required_text(document, "server", "server")
    _check_server(server)
    paths = _required(document, "paths", "paths", dict, "必须是对象")

    operations: list[ApiOperation] = []
    seen_ids: dict[str, str] = {}
    for path, methods in paths.items():
        where = f"paths.{path}"
        if not path.startswith("/"):
            raise OpenAPISchemaError(where, "必须以/开头")
        if not isinstance(methods, dict):
            raise OpenAPISchemaError(where, "必须是对象")
        if not methods:
            raise OpenAPISchemaError(where, "不能为空，至少需要一个get或post接口")
        if len(server.rstrip("/") + path) > MAX_URL_LENGTH:
            raise OpenAPISchemaError(where, f"与server拼接后的地址不能超过{MAX_URL_LENGTH}个字符")
        for method, operation in methods.items():
            if method not in METHODS:
                raise OpenAPISchemaError(f"{where}.{method}", "是不支持的请求方法，只支持get和post")
            parsed = _operation(operation, path, method, f"{where}.{method}")
            if parsed.name in seen_ids:
                raise OpenAPISchemaError(
                    f"{where}.{method}.operationId", f"与{seen_ids[parsed.name]}.operationId重复"
                )
            seen_ids[parsed.name] = f"{where}.{method}"
            operations.append(parsed)
    if not operations:
        raise OpenAPISchemaError("paths", "不能为空")
    return OpenAPISchema(description=description, server=server, operations=operations)


def _operation(operation: Any, path: str, method: str, where: str) -> ApiOperation:
    if not isinstance(operation, dict):
        raise OpenAPISchemaError(where, "必须是对象")
    description = _required_text(operation, "description", f"{where}.description")
    operation_id = _required_text(operation, "operationId", f"{where}.operationId")
    if not OPERATION_ID_RULE.match(operation_id):
        raise OpenAPISchemaError(f"{where}.operationId", "只能包含字母、数字、下划线和中划线，且不超过64个字符")
    raw_parameters = operation.get("parameters", [])
    if raw_parameters is None:
        raw_parameters = []
    if not isinstance(raw_parameters, list):
        raise OpenAPISchemaError(f"{where}.parameters", "必须是数组")

    parameters: list[ApiToolParameter] = []
    for index, raw in enumerate(raw_parameters):
        parameter = _parameter(raw, method, f"{where}.parameters[{index}]")
        if any(p.name == parameter.name for p in parameters):
            raise OpenAPISchemaError(f"{where}.parameters[{index}].name", "与同一接口的其他参数重名")
        parameters.append(parameter)
    _check_path_variables(path, parameters, where)
    return ApiOperation(name=operation_id, description=description, method=method, path=path, parameters=parameters)


def _parameter(raw: Any, method: str, where: str) -> ApiToolParameter:
    if not isinstance(raw, dict):
        raise OpenAPISchemaError(where, "必须是对象")
    name = _required_text(raw, "name", f"{where}.name")
    location = _choice(raw, "in", f"{where}.in", [p.value for p in ParameterIn])
    type_ = _choice(raw, "type", f"{where}.type", [t.value for t in ParameterType])
    description = raw.get("description", "")
    if description is None:
        description = ""
    if not isinstance(description, str):
        raise OpenAPISchemaError(f"{where}.description", "必须是字符串")
    required = raw.get("required", True)
    if not isinstance(required, bool):
        raise OpenAPISchemaError(f"{where}.required", "必须是布尔值")

    if location == ParameterIn.REQUEST_BODY.value and method != "post":
        raise OpenAPISchemaError(f"{where}.in", "为request_body时请求方法必须是post")
    if location == ParameterIn.PATH.value and not required:
        raise OpenAPISchemaError(f"{where}.required", "必须为true，path参数不能是可选的")
    if location in (ParameterIn.HEADER.value, ParameterIn.COOKIE.value) and not HTTP_TOKEN_RULE.match(name):
        raise OpenAPISchemaError(f"{where}.name", f"不是合法的{'请求头' if location == 'header' else 'cookie'}名称")
    return ApiToolParameter(name=name, in_=location, description=description, required=required, type=type_)


def _check_path_variables(path: str, parameters: list[ApiToolParameter], where: str) -> None:
    variables = PATH_VARIABLE_RULE.findall(path)
    declared = [p.name for p in parameters if p.in_ is ParameterIn.PATH]
    for index, parameter in enumerate(parameters):
        if parameter.in_ is ParameterIn.PATH and parameter.name not in variables:
            raise OpenAPISchemaError(f"{where}.parameters[{index}].name", f"未出现在路径{path}中，应写作{{{parameter.name}}}")
    for variable in variables:
        if variable not in declared:
            raise OpenAPISchemaError(f"{where}.parameters", f"缺少路径{path}中{{{variable}}}对应的path参数")


def _check_server(server: str) -> None:
    parts = urlsplit(server)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise OpenAPISchemaError("server", "必须是一个合法的http或https基础地址，且不含查询参数")


def _required(container: dict, key: str, where: str, kind: type, wrong_kind: str) -> Any:
    value = container.get(key)
    if value is None or value == "" or value == {} or value == []:
        raise OpenAPISchemaError(where, "不能为空")
    if not isinstance(value, kind):
        raise OpenAPISchemaError(where, wrong_kind)
    return value


def _required_text(container: dict, key: str, where: str) -> str:
    value = _required(container, key, where, str, "必须是字符串")
    if not value.strip():
        raise OpenAPISchemaError(where, "不能为空")
    return value.strip()


def _choice(container: dict, key: str, where: str, allowed: list[str]) -> str:
    value = _required(container, key, where, str, "必须是字符串")
    if value not in allowed:
        raise OpenAPISchemaError(where, f"必须是以下值之一：{'、'.join(allowed)}")
    return value
