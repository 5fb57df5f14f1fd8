"""Who and what the host is: user, home, OS release, CPU and memory."""

from __future__ import annotations

import shlex
from typing import TypedDict

from remote_ollama.facts.base import ProbeFact


class Identity(TypedDict, total=False):
    """``UserIdentity``'s value; empty when ``id -u`` gave no number."""

    uid: int
    user: str
    home: str
    shell: str


class MacInfo(TypedDict):
    """``MacSystem``'s value."""

    version: str
    arch: str  # "arm64" or "x86_64"
    memsize: int | None  # bytes


def _number(text: str) -> bool:
    """Digits 0-9 only: ``str.isdigit`` also accepts ``²``, which ``int()`` refuses."""
    return text.isascii() and text.isdigit()


class UserIdentity(ProbeFact[Identity]):
    """The SSH user: ``{"uid": 501, "user": "admin", "home": "/Users/admin", "shell": ...}``.

    The login shell is ``$SHELL``: sshd sets it for every session to the user's login
    shell as the system's user database has it at login (OpenSSH ``session.c``
    ``do_setup_env``: ``SHELL`` from ``pw_shell``; Directory Services on macOS), so no
    program runs for it. Without ``$SHELL`` it is asked from Directory Services on macOS
    (``dscl``, which starts slowly) and getent on Linux. The user name is ``$USER`` (sshd
    sets it too), else ``id -un``.

        identity = host.get_fact(UserIdentity)
    """

    default = dict

    def command(self) -> str:
        return (
            'u="${USER:-$(id -un)}"; echo "uid=$(id -u)"; echo "user=$u"; echo "home=$HOME"; '
            'if [ -n "$SHELL" ]; then echo "shell=$SHELL"; '
            "elif command -v dscl >/dev/null 2>&1; then "
            'echo "shell=$(dscl . -read "/Users/$u" UserShell 2>/dev/null '
            "| awk '{print $2}')\"; "
            'else echo "passwd=$(getent passwd "$u")"; fi'
        )

    def process(self, output) -> Identity:
        values = dict(line.split("=", 1) for line in output if "=" in line)
        if not _number(values.get("uid", "")):
            return {}
        shell = values.get("shell")
        if shell is None:  # getent's passwd line: the shell is its seventh field
            fields = values.get("passwd", "").split(":")
            shell = fields[6] if len(fields) >= 7 else ""
        return {
            "uid": int(values["uid"]),
            "user": values.get("user", ""),
            "home": values.get("home", ""),
            "shell": shell,
        }


class MacOSVersion(ProbeFact["dict[str, str] | None"]):
    """``sw_vers`` as a dict, e.g. ``{"ProductName": "macOS", "ProductVersion": "15.1"}``.

    Keys and values are separated by one or two tabs depending on the release, so the
    line is split on the first run of whitespace after the colon. None when not macOS.

        version = host.get_fact(MacOSVersion)["ProductVersion"]
    """

    def requires_command(self) -> str:
        return "sw_vers"

    def command(self) -> str:
        return "sw_vers"

    def process(self, output) -> dict[str, str] | None:
        values = {}
        for line in output:
            key, sep, value = line.partition(":")
            if sep and key.strip():
                values[key.strip()] = value.strip()
        return values if values.get("ProductVersion") else None


class Architecture(ProbeFact["str | None"]):
    """The CPU: ``arm64`` on Apple Silicon, else what ``uname -m`` says (``x86_64``,
    ``aarch64``...).

    Under Rosetta, ``uname -m`` says ``x86_64`` on an Apple Silicon Mac, so macOS is asked
    with ``sysctl`` first, as ``MacSystem`` does: ``hw.optional.arm64`` is 1 on Apple
    Silicon even for a translated process, and ``sysctl.proc_translated`` is 1 only under
    Rosetta. Both are unknown to Intel Macs, where ``uname -m`` decides, as on Linux
    (not asked there).

        arch = host.get_fact(Architecture)
    """

    def command(self) -> str:
        # uname prints the fields asked in POSIX's fixed order: sysname, then machine.
        # sysctl only on macOS: Linux has neither name (two programs fewer per probe).
        return (
            'set -- $(uname -sm); echo "uname=$2"; if [ "$1" = Darwin ]; then '
            'echo "arm64=$(sysctl -n hw.optional.arm64 2>/dev/null)"; '
            'echo "translated=$(sysctl -n sysctl.proc_translated 2>/dev/null)"; fi'
        )

    def process(self, output) -> str | None:
        values = dict(line.strip().split("=", 1) for line in output if "=" in line)
        if "1" in (values.get("arm64"), values.get("translated")):
            return "arm64"
        machine = values.get("uname") if values else (output[0] if output else "")
        return (machine or "").strip() or None


class MacSystem(ProbeFact["MacInfo | None"]):
    """A Mac's release, CPU and memory from one ``sysctl``, or None when not macOS:
    ``{"version": "15.1", "arch": "arm64", "memsize": 137438953472}``.

    ``kern.osproductversion`` is the release ``sw_vers`` prints (macOS 10.13.4 and
    later). ``hw.optional.arm64`` is 1 on Apple Silicon, even for a process under Rosetta
    (where ``uname -m`` says x86_64); Intel Macs do not know it (``x86_64`` here): their
    ``sysctl`` prints the names it knows, complains about the other on stderr and exits 1
    (Apple's sysctl.c, ``exit(invalid_name_used ? 1 : 0)``), which ``ProbeFact`` turns
    into exit 0 so ``host.get_fact`` does not fail the host.

        mac = host.get_fact(MacSystem)
    """

    NAMES = ("hw.memsize", "hw.optional.arm64", "kern.osproductversion")

    def requires_command(self) -> str:
        return "sysctl"

    def command(self) -> str:
        return f"sysctl {' '.join(self.NAMES)}"

    def process(self, output) -> MacInfo | None:
        values = {}
        for line in output:
            key, sep, value = line.partition(":")
            if sep and key.strip() in self.NAMES:
                values[key.strip()] = value.strip()
        if not values.get("kern.osproductversion"):
            return None
        memsize = values.get("hw.memsize", "")
        return {
            "version": values["kern.osproductversion"],
            "arch": "arm64" if values.get("hw.optional.arm64") == "1" else "x86_64",
            "memsize": int(memsize) if _number(memsize) else None,
        }


class LinuxRelease(ProbeFact["dict[str, str] | None"]):
    """``/etc/os-release`` as a dict (``ID``, ``VERSION_ID``, ...); None when absent.

        distro = host.get_fact(LinuxRelease)["ID"]
    """

    def command(self) -> str:  # read by the shell itself: no program to start
        return ("[ -r /etc/os-release ] && while IFS= read -r line || [ -n \"$line\" ]; "
                "do printf '%s\\n' \"$line\"; done < /etc/os-release")

    def process(self, output) -> dict | None:
        values = {}
        for line in output:
            key, sep, value = line.partition("=")
            if sep and key.strip() and not key.startswith("#"):
                values[key.strip()] = value.strip().strip('"')
        return values or None


class ProcessRunning(ProbeFact[bool]):
    """Whether a process with exactly this name runs (``pgrep -x``).

        host.get_fact(ProcessRunning, process="Ollama")
    """


    def default(self):  # no output at all: what process makes of none
        return self.process([])

    def command(self, process: str) -> str:
        return f"pgrep -x {shlex.quote(process)} >/dev/null && echo yes || echo no"

    def process(self, output) -> bool:
        return bool(output) and output[0].strip() == "yes"


class CommandPath(ProbeFact["str | None"]):
    """Absolute path of a program on the PATH plus ``~/.local/bin``; None when missing.

    host.get_fact(CommandPath, program="uv")  # "/opt/homebrew/bin/uv"
    """


    def command(self, program: str) -> str:
        return f'PATH="$PATH:$HOME/.local/bin" command -v {shlex.quote(program)}'

    def process(self, output) -> str | None:
        path = output[-1].strip() if output else ""
        return path if path.startswith("/") else None
