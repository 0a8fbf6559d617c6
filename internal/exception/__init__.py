"""Domain exceptions; one error handler turns each into the envelope with its code."""

from typing import Any

from pkg.response import HttpCode


class CustomException(Exception):
    code: HttpCode = HttpCode.FAIL
    default_message: str = "操作失败"

    def __init__(self, message: str | None = None, data: Any = None, status: int | None = None):
        self.message = message or self.default_message
        self.data = data
        self.status = status or self.code.status
        super().__init__(self.message)


class FailException(CustomException):
    code = HttpCode.FAIL


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
