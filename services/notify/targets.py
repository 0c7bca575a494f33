"""Where a webhook may go: public addresses only (no SSRF into the platform's own network).

The directory refuses a webhook URL whose host is a loopback, link-local, private, multicast, reserved or
otherwise non-public address, written as an address in any form (`127.0.0.1`, `2130706433`, `0x7f.1`,
`[::ffff:127.0.0.1]`) or as a local name (`localhost`, `*.local`, `*.internal`). A name can still resolve
to such an address, or be changed to later: the dispatcher resolves it again at each send, checks every
address it gets, and connects to the address it checked (never resolving twice), without following
redirects. `NOTIFY_WEBHOOK_ALLOW_PRIVATE=1` is the explicit development allowance for the local stack and
the tests' receivers on 127.0.0.1; the cluster never sets it.
"""

from __future__ import annotations

import ipaddress
import re
import socket

_LOCAL_NAMES = re.compile(r"(?:^|\.)(?:localhost|local|internal|home\.arpa|localdomain)\.?$", re.IGNORECASE)
_LEGACY_ADDRESS = re.compile(r"^(?:0x[0-9a-f]+|[0-9]+)(?:\.(?:0x[0-9a-f]+|[0-9]+)){0,3}$", re.IGNORECASE)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefused(ValueError):
    """A webhook target the platform must not call."""


def address_problem(address: Address) -> str | None:
    """Why this address is not a public one, or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for kind, flag in (("loopback", address.is_loopback), ("link-local", address.is_link_local),
                       ("private", address.is_private), ("multicast", address.is_multicast),
                       ("unspecified", address.is_unspecified), ("reserved", address.is_reserved)):
        if flag:
            return f"is a {kind} address"
    if not address.is_global:
        return "is not a public address"
    return None


def literal_address(host: str) -> Address | None:
    """The host as an address, in any form a resolver would read as one (decimal, hex, short dotted)."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    if _LEGACY_ADDRESS.match(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def host_problem(host: str, *, allow_private: bool) -> str | None:
    """At load: why this host is refused as a webhook target, or None (a name is checked again at send)."""
    if allow_private:
        return None
    if _LOCAL_NAMES.search(host):
        return "names a local host; webhooks go to public addresses only"
    address = literal_address(host)
    if address is not None:
        problem = address_problem(address)
        if problem:
            return f"{problem}; webhooks go to public addresses only"
    return None


def pinned_address(host: str, port: int, *, allow_private: bool) -> str:
    """At send: the host resolved now, every address checked; the one to connect to. socket.gaierror if none."""
    problem = host_problem(host, allow_private=allow_private)
    if problem:
        raise TargetRefused(problem)
    infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
    if not allow_private:
        for address in addresses:
            problem = address_problem(address)
            if problem:
                raise TargetRefused(f"resolves to {address}, which {problem}")
    return str(addresses[0])
