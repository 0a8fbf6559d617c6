import uuid
from typing import Annotated

from pydantic import StringConstraints

from .common import RequestModel, ResponseModel, Timestamp

Remark = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]


class CreateApiKeyReq(RequestModel):
    is_active: bool
    remark: Remark = ""


class UpdateApiKeyReq(CreateApiKeyReq):
    pass


class UpdateApiKeyIsActiveReq(RequestModel):
    is_active: bool


class ApiKeyResp(ResponseModel):
    id: uuid.UUID
    api_key: str
    is_active: bool
    remark: str
    last_used_at: Timestamp  # beyond the contract: 0 until the key is first used
    updated_at: Timestamp
    created_at: Timestamp
