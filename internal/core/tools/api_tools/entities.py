"""What a custom API tool is made of: the parsed schema, its operations and their parameters."""

from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ParameterIn(str, Enum):
    """Where a parameter travels in the HTTP request."""

    PATH = "path"
    QUERY = "query"
    HEADER = "header"
    COOKIE = "cookie"
    REQUEST_BODY = "request_body"  # a key of the JSON body; POST only


class ParameterType(str, Enum):
    """The project's four parameter types (not OpenAPI's); also what 2.5 and 2.11 show as `type`."""

    STR = "str"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"

    @property
    def python_type(self) -> type:
        return {"str": str, "int": int, "float": float, "bool": bool}[self.value]


class ApiToolParameter(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    name: str
    in_: ParameterIn = Field(alias="in")
    description: str = ""
    required: bool = True
    type: ParameterType

    def stored(self) -> dict:
        """The JSON kept in `api_tool.parameters`, keyed as in the schema."""
        return self.model_dump(mode="json", by_alias=True)


class ApiOperation(BaseModel):
    """One operation of the schema; it becomes one tool named by its operationId."""

    name: str
    description: str
    method: Literal["get", "post"]
    path: str
    parameters: list[ApiToolParameter]


class OpenAPISchema(BaseModel):
    description: str
    server: str
    operations: list[ApiOperation]

    def url_of(self, operation: ApiOperation) -> str:
        """The operation's full URL template; `{name}` placeholders are filled per call."""
        return self.server.rstrip("/") + operation.path


class HttpHeader(BaseModel):
    key: str
    value: str


class ApiToolSpec(BaseModel):
    """Everything a call needs, detached from the database so a tool can outlive the session."""

    name: str
    description: str
    url: str
    method: Literal["get", "post"]
    parameters: list[ApiToolParameter]
    headers: list[HttpHeader] = []
