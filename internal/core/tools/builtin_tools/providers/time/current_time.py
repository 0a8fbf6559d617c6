"""The current date and time in a chosen time zone; no network."""

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import field_validator

from internal.core.tools.builtin_tools.base import BuiltinTool


class CurrentTimeTool(BuiltinTool):
    timezone: str = "Asia/Shanghai"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("不是合法的IANA时区名称") from None
        return value

    def execute(self) -> str:
        now = datetime.now(ZoneInfo(self.timezone))
        return f"{now:%Y-%m-%d %H:%M:%S} {now:%A} ({self.timezone}, UTC{now:%z})"
