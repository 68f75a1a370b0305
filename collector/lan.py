"""The hub's addresses on the local network, and QR codes that point phones at them."""

from __future__ import annotations

import io
import ipaddress

import ifaddr
import segno


def lan_addresses() -> list[str]:
    """IPv4 addresses phones on the same Wi-Fi can reach, best first."""
    found = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if not ip.is_IPv4:
                continue
            address = ipaddress.IPv4Address(ip.ip)
            if address.is_loopback or address.is_link_local or address.is_unspecified:
                continue
            found.append(str(address))
    # Private addresses (hotspots, home routers) are the ones phones use.
    return sorted(set(found), key=lambda a: (not ipaddress.IPv4Address(a).is_private, a))


def hub_urls(port: int, scheme: str = "http", host: str | None = None) -> list[str]:
    """The URLs to print and show; the loopback one only when there is no network."""
    if host and host not in ("0.0.0.0", "::", ""):
        addresses = [host]
    else:
        addresses = lan_addresses() or ["127.0.0.1"]
    default_port = {"http": 80, "https": 443}[scheme]
    suffix = "" if port == default_port else f":{port}"
    return [f"{scheme}://{address}{suffix}/" for address in addresses]


def qr_svg(text: str, title: str) -> str:
    """An SVG QR code, made here: no service on the internet is asked."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(
        buffer, kind="svg", scale=6, border=2, title=title, dark="#000", light="#fff"
    )
    return buffer.getvalue().decode("utf-8")
