"""Custom API tools: an account's simplified OpenAPI schema, parsed, and its operations as LangChain tools."""

from .entities import ApiOperation, ApiToolParameter, ApiToolSpec, HttpHeader, OpenAPISchema, ParameterIn, ParameterType
from .openapi_schema import OpenAPISchemaError, parse_openapi_schema
from .tool_factory import ApiOperationTool, build_api_tool

__all__ = [
    "ApiOperation",
    "ApiOperationTool",
    "ApiToolParameter",
    "ApiToolSpec",
    "HttpHeader",
    "OpenAPISchema",
    "OpenAPISchemaError",
    "ParameterIn",
    "ParameterType",
    "build_api_tool",
    "parse_openapi_schema",
]
