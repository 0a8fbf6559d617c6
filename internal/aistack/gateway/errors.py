"""How every error of an AI Stack request is answered: the platform's exceptions and HTTP errors
mapped to the document's business codes and statuses ("错误码"), `details` naming the fields."""

from werkzeug.exceptions import HTTPException

from internal.exception import (
    CustomException,
    ForbiddenException,
    LoginLockedException,
    NotFoundException,
    TooManyRequestsException,
    UnauthorizedException,
    ValidateErrorException,
    WrongCredentialsException,
)
from pkg.response import HttpCode

from .envelope import ErrorCode, failure


class AIStackException(CustomException):
    """An error an AI Stack service raises with one of the document's codes."""

    def __init__(self, code: ErrorCode, message: str, status: int, details: dict | None = None, headers: dict | None = None):
        super().__init__(message, status=status, headers=headers)
        self.aistack_code = code
        self.details = details or {}


class QuotaExceededException(AIStackException):
    def __init__(self, message: str, details: dict | None = None):
        super().__init__(ErrorCode.QUOTA_EXCEEDED, message, 403, details)


class ServiceUnavailableException(AIStackException):
    def __init__(self, message: str, details: dict | None = None):
        super().__init__(ErrorCode.SERVICE_UNAVAILABLE, message, 503, details)


def invalid_input(field: str, message: str) -> AIStackException:
    """A request that is well-formed but breaks a rule of one field (400 INVALID_INPUT)."""
    return AIStackException(ErrorCode.INVALID_INPUT, f"{field}: {message}", 400, {field: message})


_HTTP_CODES = {
    400: ErrorCode.INVALID_INPUT,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.UNAUTHORIZED,
    404: ErrorCode.RESOURCE_NOT_FOUND,
    405: ErrorCode.INVALID_INPUT,
    413: ErrorCode.INVALID_INPUT,
    415: ErrorCode.INVALID_INPUT,
    429: ErrorCode.RATE_LIMIT_EXCEEDED,
    503: ErrorCode.SERVICE_UNAVAILABLE,
}


def render_custom(exc: CustomException):
    if isinstance(exc, AIStackException):
        response = failure(exc.aistack_code, exc.message, exc.status, exc.details)
    elif isinstance(exc, ValidateErrorException):
        response = failure(ErrorCode.INVALID_INPUT, exc.message, exc.status, exc.fields or _field_of(exc.message))
    elif isinstance(exc, (UnauthorizedException, WrongCredentialsException)):
        response = failure(ErrorCode.UNAUTHORIZED, exc.message, 401)
    elif isinstance(exc, (TooManyRequestsException, LoginLockedException)):
        response = failure(ErrorCode.RATE_LIMIT_EXCEEDED, exc.message, 429)
    elif isinstance(exc, ForbiddenException):
        response = failure(ErrorCode.UNAUTHORIZED, exc.message, 403)
    elif isinstance(exc, NotFoundException):
        response = failure(ErrorCode.RESOURCE_NOT_FOUND, exc.message, 404)
    elif exc.code is HttpCode.FAIL and exc.status >= 500:
        response = failure(ErrorCode.INTERNAL_ERROR, exc.message, exc.status)
    else:  # a business rule of a shared service refused the request
        response = failure(ErrorCode.INVALID_INPUT, exc.message, 400)
    response.headers.update(exc.headers)
    return response


def render_http(exc: HTTPException, message: str):
    status = exc.code or 500
    return failure(_HTTP_CODES.get(status, ErrorCode.INTERNAL_ERROR), message, status)


def render_unexpected():
    return failure(ErrorCode.INTERNAL_ERROR, "服务器内部错误，请稍后重试", 500)


def _field_of(message: str) -> dict:
    """`details` of a validation message written as "field: problem" by a shared service."""
    field, sep, problem = message.partition(": ")
    return {field: problem} if sep and " " not in field else {}
