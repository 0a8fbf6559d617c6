"""What both Gaode (AMap) tools share: the key, the base URL and AMap's `status`/`info` errors."""

from typing import Any

from langchain_core.tools import ToolException

from internal.core.tools.builtin_tools.base import BuiltinTool


class AmapTool(BuiltinTool):
    def amap_get(self, path: str, params: dict[str, Any]) -> dict:
        config = self.settings.builtin_tools
        api_key = self.require_setting(config.gaode_api_key, "GAODE_API_KEY")
        body = self.request_json("GET", f"{config.gaode_api_base.rstrip('/')}{path}", params={"key": api_key, **params})
        if not isinstance(body, dict):
            raise ToolException(f"{self.name} got an unexpected answer from Gaode")
        # AMap reports failures with HTTP 200 and status "0", e.g. info INVALID_USER_KEY.
        if str(body.get("status")) != "1":
            raise ToolException(f"{self.name} failed: Gaode answered {body.get('info') or 'an error'} ({body.get('infocode', '')})")
        return body
