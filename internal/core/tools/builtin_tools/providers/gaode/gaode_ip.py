"""Where an IPv4 address is, from Gaode's IP location API."""

import ipaddress

from langchain_core.tools import ToolException

from .amap import AmapTool


def _text(value) -> str:
    # AMap answers [] instead of a string for fields it does not know.
    return value if isinstance(value, str) else ""


class GaodeIpTool(AmapTool):
    def execute(self, ip: str) -> str:
        try:
            address = ipaddress.IPv4Address(ip.strip())
        except ValueError:
            raise ToolException(f"{self.name} needs an IPv4 address, got: {ip}") from None
        body = self.amap_get("/v3/ip", {"ip": str(address)})
        province, city = _text(body.get("province")), _text(body.get("city"))
        if not province:
            return f"Gaode cannot locate {address} (it only knows addresses in mainland China)"
        adcode = _text(body.get("adcode"))
        return f"{address} is in {province} {city}".rstrip() + (f" (adcode {adcode})" if adcode else "")
