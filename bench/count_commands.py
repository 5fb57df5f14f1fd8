"""Run the pyinfra CLI with every remote command it sends logged: counted, not estimated.

    python bench/count_commands.py LOG.jsonl -- -y --json INVENTORY deploys/server.py ...

Everything after ``--`` is passed to pyinfra's own entry point (``pyinfra_cli.main``),
in this process, after patching the SSH connector so that each ``connect``,
``run_shell_command``, ``put_file`` and ``get_file`` appends one JSON line to LOG:
``{"host", "kind", "command", "start" (epoch s), "seconds", "ok", "fds"}``, fds being
the process's open file descriptors when the call returned (-1 where /proc is absent). ``command`` is the
shell text pyinfra sends (before its own sudo/env wrapping), so a probe shows its section markers.
Nested calls (a sudo ``put_file`` runs ``cp`` through ``run_shell_command``) are logged
at the outer call only, so one line is one thing a deploy asked the host to do.
LOG.stats.json gets the number of known_hosts lookups and of entries they tested.
With BENCH_CPROFILE=FILE set, the whole pyinfra run is also profiled into FILE (cProfile).
"""

from __future__ import annotations

import json
import os
import sys
import time
from functools import wraps


def _text(command) -> str:
    raw = getattr(command, "get_raw_value", None)
    return raw() if raw else str(command)


STATS = {"hostkeys_lookups": 0, "hostkeys_entries_tested": 0, "hostkeys_file_entries": 0}


def open_fds() -> int:
    """How many file descriptors this process holds (its SSH sockets among them)."""
    try:
        return len(os.listdir("/proc/self/fd")) - 1  # less the one listdir opened
    except OSError:
        return -1


def install(log_path: str) -> None:
    """Patch SSHConnector so every remote call is appended to ``log_path``."""
    import gevent
    from pyinfra.connectors.ssh import SSHConnector

    # gevent runs hosts concurrently in one thread; calls nest only within one greenlet
    # (a sudo put_file runs cp through run_shell_command), so depth is per greenlet.
    depth: dict[int, int] = {}

    def record(host, kind: str, command: str, start: float, seconds: float, ok) -> None:
        line = {"host": host.name, "kind": kind, "command": command, "start": start,
                "seconds": round(seconds, 6), "ok": ok, "fds": open_fds()}  # fmt: skip
        with open(log_path, "a", encoding="utf-8") as log:
            log.write(json.dumps(line) + "\n")

    def wrap(name: str, describe):
        original = getattr(SSHConnector, name)

        @wraps(original)
        def logged(self, *args, **kwargs):
            me = id(gevent.getcurrent())
            outer = depth.get(me, 0) == 0
            depth[me] = depth.get(me, 0) + 1
            wall, started = time.time(), time.perf_counter()
            ok = None
            try:
                result = original(self, *args, **kwargs)
                ok = result[0] if isinstance(result, tuple) else (result is not False)
                return result
            finally:
                depth[me] -= 1
                if outer:
                    record(self.host, name, describe(*args, **kwargs), wall,
                           time.perf_counter() - started, ok)  # fmt: skip

        setattr(SSHConnector, name, logged)

    # paramiko's known_hosts lookups: each tests every entry of the file (a list scan),
    # when loading it (each new line is checked against those before) and for each host
    # at connect, so the entries tested grow with the file squared. Counted here, with
    # the file's size, written to LOG.stats.json at exit.
    from paramiko.hostkeys import HostKeys

    lookup = HostKeys.lookup

    @wraps(lookup)
    def counted_lookup(self, hostname):
        STATS["hostkeys_lookups"] += 1
        STATS["hostkeys_entries_tested"] += len(self._entries)
        STATS["hostkeys_file_entries"] = max(STATS["hostkeys_file_entries"], len(self._entries))
        return lookup(self, hostname)

    HostKeys.lookup = counted_lookup
    wrap("connect", lambda *a, **k: "")
    wrap("run_shell_command", lambda command, *a, **k: _text(command))
    wrap("put_file", lambda src, remote, *a, **k: f"put_file {remote}")
    wrap("get_file", lambda remote, dst, *a, **k: f"get_file {remote}")


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1] != "--":
        print("usage: count_commands.py LOG.jsonl -- PYINFRA_ARGS...", file=sys.stderr)
        return 2
    install(argv[0])
    from pyinfra_cli.main import main as pyinfra_main

    sys.argv = ["pyinfra", *argv[2:]]
    profile_path = os.environ.get("BENCH_CPROFILE")  # also write cProfile stats here
    profiler = None
    if profile_path:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    try:
        pyinfra_main()
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    finally:
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile_path)
        with open(argv[0] + ".stats.json", "w", encoding="utf-8") as out:
            json.dump(STATS, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
