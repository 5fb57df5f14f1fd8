"""Bridges, network namespaces and veths: the tailnet (ro-br0) and the LAN (ro-lan0)."""

from __future__ import annotations

from pathlib import Path

from .layout import (
    CONTROLLER_IP,
    LAN_BRIDGE,
    OUTSIDER_IP,
    OUTSIDER_NETNS,
    TAILNET_BRIDGE,
    TAILNET_PREFIXLEN,
    Host,
)
from .shell import run


def link_exists(name: str, netns: str | None = None) -> bool:
    prefix = ["ip", "-n", netns] if netns else ["ip"]
    return run([*prefix, "link", "show", "dev", name], check=False).returncode == 0


def netns_exists(name: str) -> bool:
    return Path("/run/netns", name).exists()


def has_addr(dev: str, cidr: str, netns: str | None = None) -> bool:
    prefix = ["ip", "-n", netns] if netns else ["ip"]
    out = run([*prefix, "-o", "addr", "show", "dev", dev], check=False).stdout
    return f" {cidr} " in out


def ensure_bridges() -> None:
    """ro-br0 carries the controller's 100.64.0.254; ro-lan0 has no controller address."""
    for bridge in (TAILNET_BRIDGE, LAN_BRIDGE):
        if not link_exists(bridge):
            run(["ip", "link", "add", bridge, "type", "bridge"])
        run(["ip", "link", "set", bridge, "up"])
    cidr = f"{CONTROLLER_IP}/{TAILNET_PREFIXLEN}"
    if not has_addr(TAILNET_BRIDGE, cidr):
        run(["ip", "addr", "add", cidr, "dev", TAILNET_BRIDGE])


def ensure_netns(name: str) -> None:
    if not netns_exists(name):
        run(["ip", "netns", "add", name])
    run(["ip", "-n", name, "link", "set", "lo", "up"])


def ensure_veth(netns: str, host_end: str, inner: str, bridge: str, cidr: str) -> None:
    """A veth from `bridge` into `netns`, named `inner` there, holding `cidr`; repairs halves."""
    if link_exists(host_end) and not link_exists(inner, netns):
        run(["ip", "link", "del", host_end])
    if not link_exists(host_end):
        if link_exists(inner, netns):
            run(["ip", "-n", netns, "link", "del", inner])
        run(["ip", "link", "add", host_end, "type", "veth", "peer", "name", inner,
             "netns", netns])  # fmt: skip
    run(["ip", "link", "set", host_end, "master", bridge, "up"])
    if not has_addr(inner, cidr, netns):
        run(["ip", "-n", netns, "addr", "add", cidr, "dev", inner])
    run(["ip", "-n", netns, "link", "set", inner, "up"])


def ensure_host_network(host: Host) -> None:
    """The host's netns with eth0 on the tailnet and, for the server, eth1 on the LAN."""
    ensure_netns(host.netns)
    ensure_veth(host.netns, f"ro-t-{host.short}", "eth0", TAILNET_BRIDGE,
                f"{host.ip}/{TAILNET_PREFIXLEN}")  # fmt: skip
    if host.lan_ip:
        ensure_veth(host.netns, f"ro-l-{host.short}", "eth1", LAN_BRIDGE, f"{host.lan_ip}/24")


def ensure_outsider() -> None:
    """A bare netns on the LAN only: no route to the tailnet, no SSH, no chroot."""
    ensure_netns(OUTSIDER_NETNS)
    ensure_veth(OUTSIDER_NETNS, "ro-l-out", "eth0", LAN_BRIDGE, f"{OUTSIDER_IP}/24")
