"""The testbed at 64 clients (issue 17): names and addresses, the mirror's listen backlog,
and the per-host usage readings. No fleet needed: loopback and this process only."""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "testbed"))

from fleetlib import layout, usage
from fleetlib.mirror_server import make_server


def test_sixty_four_clients_have_distinct_addresses_inside_the_tailnet():
    hosts = layout.fleet_hosts(64)
    assert len(hosts) == 65
    net = ipaddress.ip_network(f"100.64.0.0/{layout.TAILNET_PREFIXLEN}")
    ips = [ipaddress.ip_address(h.ip) for h in hosts]
    assert len(set(ips)) == 65
    assert all(ip in net for ip in ips)
    taken = {ipaddress.ip_address(layout.CONTROLLER_IP), net.network_address,
             net.broadcast_address}  # fmt: skip
    assert not taken & set(ips)
    assert hosts[-1].ip == "100.64.0.74"


def test_names_fit_the_kernels_limits():
    for host in layout.fleet_hosts(layout.MAX_CLIENTS):
        assert len(f"ro-t-{host.short}") <= 15  # IFNAMSIZ - 1
        assert layout.host_by_name(host.name) == host
        assert layout.HOST_MOUNT_RE.search(f"/x/hosts/{host.name}/root/")


def test_more_than_the_limit_is_refused():
    with pytest.raises(ValueError, match="between 0 and 64"):
        layout.fleet_hosts(65)
    with pytest.raises(ValueError, match="N <= 64"):
        layout.host_by_name("ai-client-65")


def test_mirror_accepts_a_burst_of_connections_before_serving_any(tmp_path):
    """64 clients installing at once open many connections; with socketserver's
    default backlog of 5 the seventh connect waits for a SYN retransmit (1 s or more)."""
    server = make_server("127.0.0.1", 0, str(tmp_path))
    port = server.server_address[1]
    conns = []
    try:
        for _ in range(100):  # nobody calls accept(): the kernel's queue holds them
            conns.append(socket.create_connection(("127.0.0.1", port), timeout=0.5))
    finally:
        for conn in conns:
            conn.close()
        server.server_close()
    assert len(conns) == 100


def test_mirror_still_serves_files(tmp_path):
    (tmp_path / "hello.txt").write_bytes(b"hi\n")
    server = make_server("127.0.0.1", 0, str(tmp_path))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with socket.create_connection(server.server_address, timeout=5) as conn:
            conn.sendall(b"GET /hello.txt HTTP/1.0\r\n\r\n")
            reply = b""
            while chunk := conn.recv(4096):
                reply += chunk
    finally:
        server.shutdown()
        server.server_close()
    assert reply.startswith(b"HTTP/1.0 200") and reply.endswith(b"\r\n\r\nhi\n")


def test_process_usage_reads_this_process():
    rss, pss, fds = usage.process_usage(os.getpid())
    assert rss > 1000 and 0 < pss <= rss  # KiB: a Python process holds megabytes
    assert fds >= 3
    assert usage.process_usage(2**22 + 1) is None  # above pid_max: no such process


def test_rollup_fields_are_read_by_name():
    text = "55d0c000-7ffd0000 ---p 00000000 00:00 0  [rollup]\nRss:   12345 kB\nPss:    6789 kB\n"
    assert usage._rollup_kib(text, "Rss") == 12345
    assert usage._rollup_kib(text, "Pss") == 6789
    assert usage._rollup_kib(text, "Swap") == 0


def test_disk_counts_a_hard_link_once(tmp_path):
    (tmp_path / "a").write_bytes(b"x" * 64 * 1024)
    os.link(tmp_path / "a", tmp_path / "b")
    (tmp_path / "sub").mkdir()
    one = usage.disk_kib(tmp_path)
    (tmp_path / "sub" / "c").write_bytes(b"y" * 64 * 1024)
    assert 64 <= one < 128
    assert usage.disk_kib(tmp_path) >= one + 64


def test_summary_per_role_and_total():
    rows = [usage.HostUsage("ai-server", "server", processes=3, pss_kib=9000, fds=30),
            usage.HostUsage("ai-client-1", "client", processes=1, pss_kib=1000, fds=10),
            usage.HostUsage("ai-client-2", "client", processes=2, pss_kib=3000, fds=14)]  # fmt: skip
    summary = usage.summarize(rows)
    assert summary["server"]["hosts"] == 1 and summary["server"]["pss_kib_mean"] == 9000
    assert summary["client"]["hosts"] == 2
    assert summary["client"]["pss_kib_mean"] == 2000 and summary["client"]["fds_max"] == 14
    assert summary["total"]["processes"] == 6 and summary["total"]["fds"] == 54
    text = usage.render(rows, {"mounts": 40, "mount_max": 100000, "host_mounts": 27,
                               "open_files": 900, "file_max": 10**6, "processes": 200,
                               "pid_max": 4194304, "mem_available_kib": 2**21})  # fmt: skip
    assert "client mean (2): 1.5 processes, PSS 2.0 MiB" in text
    assert "total (3 hosts): 6 processes" in text
