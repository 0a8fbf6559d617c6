"""Which addresses outbound requests may reach: public ones, plus what the allow-list opens."""

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Instance-metadata endpoints hand out cloud credentials; no allow-list entry opens them.
CLOUD_METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(address)
    for address in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, Tencent Cloud
        "169.254.170.2",  # AWS ECS task credentials
        "fd00:ec2::254",  # AWS over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "168.63.129.16",  # Azure WireServer (a public address)
        "192.0.0.192",  # Oracle Cloud
    )
)


def _reached_addresses(address: IPAddress) -> list[IPAddress]:
    """What connecting to `address` may reach: an IPv4-mapped address is its IPv4 address;
    6to4 and Teredo addresses also carry an IPv4 address a relay would deliver to."""
    if not isinstance(address, ipaddress.IPv6Address):
        return [address]
    if address.ipv4_mapped:
        return [address.ipv4_mapped]
    embedded = [address.sixtofour, *(address.teredo or ())]
    return [address, *(ip for ip in embedded if ip is not None)]


def _why_not_public(address: IPAddress) -> str | None:
    if address in CLOUD_METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "not a public address"
    return None


@dataclass(frozen=True)
class OutboundPolicy:
    """`allow_hosts` entries are hostnames (matched exactly) or IP networks in CIDR form."""

    allow_hosts: Sequence[str] = ()
    timeout: float = 10.0
    max_response_bytes: int = 1024 * 1024
    max_redirects: int = 3

    def __post_init__(self):
        if self.timeout <= 0 or self.max_response_bytes <= 0 or self.max_redirects < 0:
            raise ValueError("timeout and max_response_bytes must be positive, max_redirects not negative")
        _ = self.allowed_networks  # a malformed network entry fails here, not on the first request

    @cached_property
    def allowed_networks(self) -> tuple[IPNetwork, ...]:
        networks = []
        for entry in self.allow_hosts:
            try:
                networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                if "/" in entry:
                    raise ValueError(f"allow-list entry {entry!r} is not a valid IP network") from None
        return tuple(networks)

    @cached_property
    def allowed_hostnames(self) -> frozenset[str]:
        names = {entry.strip().lower().rstrip(".") for entry in self.allow_hosts}
        return frozenset(name for name in names if name and not _is_ip_network(name))

    def refusal_reason(self, hostname: str, address: IPAddress) -> str | None:
        """Why `hostname`, resolved to `address`, may not be reached; None when it may."""
        reached = _reached_addresses(address)
        for candidate in reached:
            if candidate in CLOUD_METADATA_ADDRESSES or candidate.is_unspecified:
                return _describe(_why_not_public(candidate), candidate, address)  # never opened by the allow-list
        if hostname.lower().rstrip(".") in self.allowed_hostnames:
            return None
        if any(reached[0] in network for network in self.allowed_networks):
            return None
        for candidate in reached:
            reason = _why_not_public(candidate)
            if reason:
                return _describe(reason, candidate, address)
        return None


def _describe(reason: str, candidate: IPAddress, address: IPAddress) -> str:
    return f"{address} is {reason}" if candidate == address else f"{address} reaches {candidate}, {reason}"


def _is_ip_network(entry: str) -> bool:
    try:
        ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False
    return True
