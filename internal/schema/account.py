import uuid
from typing import Annotated

from pydantic import StringConstraints

from .common import HttpUrlStr, Password, RequestModel, ResponseModel, Timestamp


class AccountResp(ResponseModel):
    id: uuid.UUID
    name: str
    email: str
    avatar: str
    last_login_at: Timestamp
    last_login_ip: str
    created_at: Timestamp


class UpdatePasswordReq(RequestModel):
    password: Password


class UpdateNameReq(RequestModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=30)]


class UpdateAvatarReq(RequestModel):
    avatar: HttpUrlStr
