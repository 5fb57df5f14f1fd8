"""Source rendered shell files in real shells and report what that did.

``source_all`` writes the files into a throwaway home, sources them in one shell (bash,
zsh, dash, or bash in POSIX mode as macOS's ``/bin/sh`` is) from an empty working folder,
and returns what changed: the variables (from ``set`` before and after, less the ones a
shell changes by itself), their values, anything printed, and files created. A value that
became a command shows up there: as output, an error, a file, or an unexpected variable.

Example:

    found = source_all("bash", {".profile": block, ".ai-client/env": env}, [".profile"],
                       ["OLLAMA_API_BASE"])
    assert found.problems(expected={"OLLAMA_API_BASE": url}) == []
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

# argv for each shell; "bash-posix" is bash in POSIX mode, like macOS's /bin/sh (bash 3.2).
SHELLS = {
    "bash": ["bash"],
    "zsh": ["zsh", "-f"],  # -f: no rc files of the machine running the test
    "dash": ["dash"],
    "bash-posix": ["bash", "--posix"],
}
# Shells that define the claude-ollama function (the name is invalid in POSIX sh).
FUNCTION_SHELLS = {"bash", "zsh"}
NAME_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=", re.MULTILINE)
UNSET = "@@unset@@"
# Variables each shell keeps up to date itself (call stacks, line numbers, last status,
# and the clock and random parameters: zsh's SECONDS moves when a loaded machine takes over
# a second to source, and its RANDOM once turned up in a CI run).
SHELL_KEPT = {"RANDOM", "SRANDOM", "SECONDS", "EPOCHSECONDS", "EPOCHREALTIME", "BASHPID",
              "HISTCMD", "TTYIDLE",
              "_", "OUT", "BASH_ARGC", "BASH_ARGV", "BASH_LINENO", "BASH_SOURCE", "FUNCNAME",
              "LINENO", "PIPESTATUS", "BASH_COMMAND", "pipestatus", "status", "funcfiletrace",
              "funcsourcetrace", "funcstack", "functrace", "ZSH_EVAL_CONTEXT", "zsh_eval_context",
              "ZSH_ARGZERO", "argv"}  # fmt: skip
PATH = "/usr/bin:/bin"
FAKE_CLAUDE = "fake-claude"  # render claude-ollama.sh with this binary: it prints its env
TIMEOUT = 10


def available() -> list[str]:
    return [name for name, argv in SHELLS.items() if shutil.which(argv[0])]


@dataclass
class Sourced:
    shell: str
    returncode: int
    stdout: str
    stderr: str
    changed: set[str]  # variables set or changed by sourcing
    values: dict[str, str | None]  # the asked variables after sourcing (None: unset)
    created: list[str]  # files that appeared in the working folder
    function_output: str | None = None  # what `claude-ollama` passed to the binary
    has_function: bool = False
    extra: list[str] = field(default_factory=list)

    def problems(self, expected: dict[str, str | None], may_change: set[str] = frozenset()
                 ) -> list[str]:  # fmt: skip
        """Why this sourcing was not exactly the intended one (empty: it was)."""
        found = []
        if self.returncode != 0:
            found.append(f"{self.shell}: exit {self.returncode}")
        if self.stdout or self.stderr:
            found.append(f"{self.shell}: printed {(self.stdout + self.stderr)[:300]!r}")
        if self.created:
            found.append(f"{self.shell}: created {self.created}")
        wanted = {k for k, v in expected.items() if v is not None} | set(may_change)
        unexpected = self.changed - wanted
        if unexpected:
            found.append(f"{self.shell}: also set {sorted(unexpected)}")
        for name, value in expected.items():
            if self.values.get(name) != value:
                found.append(f"{self.shell}: {name}={self.values.get(name)!r}, not {value!r}")
        return found


def _names(set_output: str) -> dict[str, str]:
    """{name: its `set` line(s)} from the output of `set` (functions ignored)."""
    names: dict[str, str] = {}
    matches = list(NAME_LINE.finditer(set_output))
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(set_output)
        names[match.group(1)] = set_output[match.start():end]
    return names


def _diff(before: str, after: str) -> set[str]:
    a, b = _names(before), _names(after)
    return {n for n in b if a.get(n) != b[n]} | {n for n in a if n not in b}


def source_all(shell: str, files: dict[str, str], sources: list[str], ask: list[str],
               call_function: bool = False) -> Sourced:  # fmt: skip
    """Write ``files`` (relative to a new HOME), source ``sources`` in ``shell``, read ``ask``."""
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        home, work, out = Path(tmp, "home"), Path(tmp, "work"), Path(tmp, "out")
        for folder in (home, work, out):
            folder.mkdir()
        for relative, text in files.items():
            path = home / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text.encode("utf-8", "surrogateescape"))
        bin_dir = Path(tmp, "bin")
        bin_dir.mkdir()
        binary = bin_dir / FAKE_CLAUDE
        binary.write_text('#!/bin/sh\nfor a in "$@"; do printf "arg=%s\\n" "$a"; done\n'
                          "env | LC_ALL=C sort\n")  # fmt: skip
        binary.chmod(0o755)
        reads = "".join(f'printf "%s\\0" "${{{name}-{UNSET}}}" >> "$OUT/values"\n' for name in ask)
        function = (
            'if command -v claude-ollama >/dev/null 2>&1; then echo yes > "$OUT/has"; '
            + ('claude-ollama --arg > "$OUT/function" 2>&1; ' if call_function else "")
            + "fi\n"
        )
        script = (
            'set > "$OUT/control1"\nset > "$OUT/before"\n'
            + "".join(f'. "$HOME/{relative}"\n' for relative in sources)
            + 'set > "$OUT/after"\n' + reads + function
        )
        env = {"HOME": str(home), "PATH": f"{bin_dir}:{PATH}", "OUT": str(out), "LC_ALL": "C"}
        try:
            run = subprocess.run([*SHELLS[shell], "-c", script], cwd=work, env=env,
                                 capture_output=True, timeout=TIMEOUT)  # fmt: skip
        except subprocess.TimeoutExpired:
            return Sourced(shell, -1, "", "timeout", set(), {}, [], extra=["hang"])
        read = lambda name: (out / name).read_text("utf-8", "replace") if (out / name).exists() else ""  # noqa: E731
        volatile = _diff(read("control1"), read("before")) | SHELL_KEPT
        values_raw = read("values").split("\0")[: len(ask)]
        values = {n: (None if v == UNSET else v) for n, v in zip(ask, values_raw, strict=False)}
        function_out = read("function") if call_function else None
        return Sourced(
            shell=shell,
            returncode=run.returncode,
            stdout=run.stdout.decode("utf-8", "replace"),
            stderr=run.stderr.decode("utf-8", "replace"),
            changed=_diff(read("before"), read("after")) - volatile,
            values=values,
            created=sorted(os.listdir(work)),
            function_output=function_out,
            has_function=read("has").strip() == "yes",
        )
