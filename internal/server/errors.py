"""One place that turns every error into the envelope with its code and HTTP status."""

import logging

from flask import Flask, request
from werkzeug.exceptions import HTTPException

from internal.aistack.gateway import errors as aistack_errors
from internal.aistack.systems import system_of_path
from internal.exception import CustomException
from pkg.response import HttpCode, fail_json

logger = logging.getLogger(__name__)

_HTTP_ERRORS = {
    400: (HttpCode.VALIDATE_ERROR, "请求格式错误"),
    401: (HttpCode.UNAUTHORIZED, "该接口需要授权，请登录后尝试"),
    403: (HttpCode.FORBIDDEN, "无权限执行该操作"),
    404: (HttpCode.NOT_FOUND, "请求的接口或资源不存在"),
    405: (HttpCode.FAIL, "该接口不支持此请求方法"),
    413: (HttpCode.VALIDATE_ERROR, "请求体过大"),
    415: (HttpCode.VALIDATE_ERROR, "不支持的请求内容类型"),
}


def register_error_handlers(app: Flask) -> None:
    # AI Stack's systems answer errors in their own document's shape (internal.aistack).
    @app.errorhandler(CustomException)
    def handle_custom(exc: CustomException):
        if system_of_path(request.path):
            return aistack_errors.render_custom(exc)
        response = fail_json(exc.code, exc.message, exc.status, exc.data)
        response.headers.update(exc.headers)
        return response

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        status = exc.code or 500
        code, message = _HTTP_ERRORS.get(status, (HttpCode.FAIL, exc.description or "请求失败"))
        if system_of_path(request.path):
            response = aistack_errors.render_http(exc, message)
        else:
            response = fail_json(code, message, status)
        if status == 405 and getattr(exc, "valid_methods", None):
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        logger.exception("Unhandled error")
        if system_of_path(request.path):
            return aistack_errors.render_unexpected()
        return fail_json(HttpCode.FAIL, "服务器内部错误，请稍后重试", 500)
