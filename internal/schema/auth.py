from typing import Annotated

from pydantic import AfterValidator, BaseModel, StringConstraints
from pydantic.networks import validate_email
from pydantic_core import PydanticCustomError

from .common import Documented, Password, RequestModel, trimmed


def _normalize_email(value: str) -> str:
    try:
        _, email = validate_email(value)
    except PydanticCustomError:
        raise ValueError("邮箱格式不正确") from None
    return email.lower()


Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=254),
    AfterValidator(_normalize_email),
    Documented(format="email"),
]


class PasswordLoginReq(RequestModel):
    email: Email
    password: Password


class AuthorizeReq(RequestModel):
    code: trimmed(512, min_length=1)
    # The `state` the provider sent back with the code; empty: none (see OAUTH_REQUIRE_STATE).
    state: trimmed(1024) = ""


class CredentialResp(BaseModel):
    access_token: str
    expire_at: int


class RedirectResp(BaseModel):
    redirect_url: str
