"""The six business codes of the response envelope and the HTTP status each maps to."""

from enum import Enum


class HttpCode(str, Enum):
    SUCCESS = "success"
    FAIL = "fail"
    NOT_FOUND = "not_found"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    VALIDATE_ERROR = "validate_error"

    @property
    def status(self) -> int:
        return _STATUS[self]


_STATUS = {
    HttpCode.SUCCESS: 200,
    HttpCode.FAIL: 400,
    HttpCode.NOT_FOUND: 404,
    HttpCode.UNAUTHORIZED: 401,
    HttpCode.FORBIDDEN: 403,
    HttpCode.VALIDATE_ERROR: 400,
}
