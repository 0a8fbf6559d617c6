from .http_code import HttpCode
from .response import Response, fail_json, icon_response, json, success_json, success_message

__all__ = ["HttpCode", "Response", "fail_json", "icon_response", "json", "success_json", "success_message"]
