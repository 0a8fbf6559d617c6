from .http_code import HttpCode
from .response import Response, fail_json, icon_response, json, success_json, success_message
from .sse import sse_response

__all__ = ["HttpCode", "Response", "fail_json", "icon_response", "json", "success_json", "success_message", "sse_response"]
