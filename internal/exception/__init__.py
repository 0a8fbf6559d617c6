"""Domain exceptions; one error handler turns each into the envelope with its code."""

from typing import Any

from pkg.response import HttpCode


class CustomException(Exception):
    code: HttpCode = HttpCode.FAIL
    default_message: str = "操作失败"

    def __init__(
        self, message: str | None = None, data: Any = None, status: int | None = None, headers: dict | None = None
    ):
        self.message = message or self.default_message
        self.data = data
        self.status = status or self.code.status
        self.headers = headers or {}
        super().__init__(self.message)


class FailException(CustomException):
    code = HttpCode.FAIL


class TooManyRequestsException(FailException):
    """A limit of the open API was reached: HTTP 429 with `fail` (the contract has no closer
    code), and headers telling the client when to come back."""

    default_message = "请求过于频繁，请稍后重试"

    def __init__(self, message: str | None = None, headers: dict | None = None):
        super().__init__(message, status=429, headers=headers)


class WrongCredentialsException(FailException):
    """A sign-in with an unknown account or a wrong password (the platform answers `fail`)."""


class LoginLockedException(FailException):
    """Too many failed sign-ins of one account from one address: refused for a while."""


class NotFoundException(CustomException):
    code = HttpCode.NOT_FOUND
    default_message = "资源不存在"


class UnauthorizedException(CustomException):
    code = HttpCode.UNAUTHORIZED
    default_message = "登录认证失败，请重新登录"


class ForbiddenException(CustomException):
    code = HttpCode.FORBIDDEN
    default_message = "无权限执行该操作"


class ValidateErrorException(CustomException):
    code = HttpCode.VALIDATE_ERROR
    default_message = "数据校验失败"

    def __init__(self, message: str | None = None, status: int | None = None, fields: dict[str, str] | None = None):
        super().__init__(message, status=status)
        # Every offending field and its problem, for APIs whose errors list them all (AI Stack);
        # the platform's envelope names the first in `message`.
        self.fields = fields or {}
