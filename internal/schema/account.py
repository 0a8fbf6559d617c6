import uuid
from .common import HttpUrlStr, Password, RequestModel, ResponseModel, Timestamp, trimmed


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
    name: trimmed(30, min_length=3)


class UpdateAvatarReq(RequestModel):
    avatar: HttpUrlStr
