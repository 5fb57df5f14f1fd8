"""launchd state from ``launchctl print``: one job, and every Ollama job with the domains.

Formats (``launchctl print``, launchctl(1)): a service prints a block
``<target> = {`` ... ``}`` whose top-level lines are ``key = value``, indented with a tab,
with nested ``name = {`` ... ``}`` blocks (``arguments``, ``environment``). Values may be
several words (``state = not running``, ``state = spawn scheduled``,
``last exit code = 78: EX_CONFIG``). An absent service exits 113 with
``Could not find service "<label>" in domain for ...``. The parser reads keys at the top
level of the block only, by brace depth, so it does not care whether tabs or spaces indent.
"""

from __future__ import annotations

import plistlib
import re
from typing import TypedDict

from remote_ollama.facts.base import ProbeFact


class JobState(TypedDict, total=False):
    """``LaunchdJob``'s value: only ``loaded`` (False) for an absent job."""

    loaded: bool
    state: str | None  # "running", "not running", "spawn scheduled", ...
    pid: int | None
    program: str | None
    arguments: list[str]
    runs: int | None
    last_exit: str | None  # "(never exited)", "78: EX_CONFIG", ...
    path: str | None  # the plist launchd loaded it from


class DomainState(TypedDict):
    """Whether a launchd domain exists (``domain_state``): ``launchctl print <domain>``'s
    exit code, 0 when it does.

    ``gui/<uid>`` exists only while the user has a login session at the console; without
    one ``launchctl print gui/<uid>`` fails (``Could not find domain for user gui: <uid>``)
    and bootstrapping a LaunchAgent there fails too (``Bootstrap failed: 125: Domain does
    not support specified action``)."""

    exists: bool
    code: int  # launchctl's exit code (113: not found)


class PlistEntry(TypedDict):
    label: str  # the plist's Label, else its file name
    plist: dict | None  # None: binary or unreadable


class Jobs(TypedDict):
    """``OllamaJobs``'s value."""

    plists: dict[str, PlistEntry]  # by path
    jobs: dict[str, JobState]  # loaded jobs by "<domain>/<label>"
    domains: dict[str, int]  # each domain's listing: launchctl's exit code (113: none)

# gui/<uid>/label, user/<uid>/label or system/label; $(id -u) may stand for the uid.
TARGET_RE = re.compile(r"(?:system|(?:gui|user)/(?:\d+|\$\(id -u\)))/[A-Za-z0-9.-]+")
# Used with fullmatch only: "$" would also accept a value ending in "\n".
LABEL_RE = re.compile(r"[A-Za-z0-9.-]+")
RC = "@@rc="
NOT_FOUND = 113  # launchctl's exit code for "Could not find service" / "... domain"

# Labels that an Ollama server is known to run under, besides whatever a plist names.
BREW_LABEL = "homebrew.mxcl.ollama"  # `brew services` (homebrew-core Formula/o/ollama.rb)
SEED_LABEL = "com.ollama"  # the original install scripts' LaunchAgent


def _exit_code(output) -> int:
    code = next((ln[len(RC):].strip() for ln in reversed(output) if ln.startswith(RC)), "")
    return int(code) if code.lstrip("-").isdigit() else 1


def parse_print(lines) -> JobState:
    """A ``launchctl print <service>`` block as a dict (see the module doc)."""
    job: JobState = {"loaded": True, "state": None, "pid": None, "program": None,
                 "arguments": [], "runs": None, "last_exit": None, "path": None}
    depth, block = 0, None
    for raw in lines:
        line = raw.strip()
        if line.endswith("{"):
            depth += 1
            if depth == 2:
                block = line[:-1].strip().rstrip("=").strip()
            continue
        if line == "}":
            depth, block = max(depth - 1, 0), None if depth <= 2 else block
            continue
        if depth == 2 and block == "arguments" and line:
            job["arguments"].append(line)
        if depth != 1 or " = " not in line:
            continue
        key, _, value = line.partition(" = ")
        value = value.strip()
        if key == "state":
            job["state"] = value
        elif key == "pid" and value.isdigit():
            job["pid"] = int(value)
        elif key == "runs" and value.isdigit():
            job["runs"] = int(value)
        elif key in ("program", "path"):
            job[key] = value
        elif key == "last exit code":
            job["last_exit"] = value
    return job


class LaunchdJob(ProbeFact[JobState]):
    """State of one job: ``{"loaded": True, "state": "running", "pid": 123, "runs": 1,
    "program": ..., "arguments": [...], "last_exit": "(never exited)"}``.

    ``target`` is a service target like ``gui/501/com.remote-ollama.ollama`` or
    ``system/com.remote-ollama.ollama``; ``$(id -u)`` in it is expanded by the shell.
    ``launchctl print`` exits non-zero ("Could not find service", 113) for an absent job,
    so the exit code is printed last and ``{"loaded": False}`` is the answer then.
    Anyone may read the system domain (launchctl(1): "Anyone may read or query the system
    domain, but root privileges are required to make modifications"), so no sudo.

        job = host.get_fact(LaunchdJob, target="system/com.remote-ollama.ollama")
    """


    def requires_command(self, target: str) -> str:
        return "launchctl"

    def default(self):  # no output at all: what process makes of none
        return self.process([])

    def command(self, target: str) -> str:
        if not TARGET_RE.fullmatch(target):
            raise ValueError(f"not a launchd service target: {target!r}")
        return f'launchctl print "{target}" 2>&1; echo "{RC}$?"'

    def process(self, output) -> JobState:
        if _exit_code(output) != 0:
            return {"loaded": False}
        return parse_print(output)


def serves_ollama(arguments) -> bool:
    """Whether a job's ProgramArguments run ``ollama serve`` (any binary named ollama)."""
    args = [str(a) for a in arguments or []]
    return len(args) >= 2 and args[0].rsplit("/", 1)[-1] == "ollama" and args[1] == "serve"


class OllamaJobs(ProbeFact[Jobs]):
    """Every launchd job that may be an Ollama server, in every domain, in one command.

    Looks at each plist in ``~/Library/LaunchAgents``, ``/Library/LaunchAgents`` and
    ``/Library/LaunchDaemons`` that mentions ``ollama`` (except the plists of ``exclude``,
    our own label, and its ``.warm`` job), and at the labels ``homebrew.mxcl.ollama``,
    ``com.ollama`` and ``exclude`` even without a plist (our label: loaded in another
    domain, it is our job of the other ``ollama_service`` mode). Each label, taken from the plist's file name (the
    convention of ``brew services`` and the original scripts), is printed in
    ``gui/<uid>``, ``user/<uid>`` and ``system``: ``brew services`` puts its job in the
    first at the console, the second over SSH without console ownership, and the third
    under sudo (Homebrew/brew ``Library/Homebrew/services/system.rb`` ``domain_target``).
    Each domain is listed once (``launchctl print <domain>``; launchctl(1): anyone may
    read the system domain) and a label is printed in detail only where the listing
    names it anywhere (its loaded ``services`` or its ``disabled services``, a superset
    of what is loaded): four launchctl runs on a converged server, not nine. A listing
    that fails (a ``gui`` domain with no console session, or anything else) names every
    label, so a domain that cannot be listed is asked label by label as before: the
    listing only ever saves runs, it never hides a job.

    Our own label and its ``.warm`` job are printed too, and each listing's exit code is
    kept, so that this one fact also answers what ``LaunchdJob`` would (our job, the warm
    job) and whether ``gui/<uid>`` exists: ``job_state`` and ``domain_state`` read them
    from its value, and the server's probe runs no launchctl of its own besides.

    Value: ``{"plists": {path: {"label": str, "plist": dict | None}},
    "jobs": {"<domain>/<label>": <LaunchdJob value>}, "domains": {"<domain>": int}}`` with
    only loaded jobs in ``jobs``, the uid as a number in the targets and domains, and in
    ``domains`` the exit code of ``launchctl print <domain>`` (0: it exists; 113: ``Could
    not find domain``). ``plist`` is None for a binary or unreadable plist (the loaded
    job's own ``program``/``arguments`` still tell what it runs).

        host.get_fact(OllamaJobs, exclude="com.remote-ollama.ollama")
    """

    SLOW = True  # launchctl asks launchd, per domain and label (probe.probe_script: alongside)

    def requires_command(self, exclude: str) -> str:
        return "launchctl"

    def default(self):  # no output at all: what process makes of none
        return self.process([])

    def command(self, exclude: str) -> str:
        if not LABEL_RE.fullmatch(exclude):
            raise ValueError(f"not a launchd label: {exclude!r}")
        return (
            f'u=$(id -u); labels="{BREW_LABEL} {SEED_LABEL} {exclude} {exclude}.warm"; '
            'for f in "$HOME"/Library/LaunchAgents/*.plist /Library/LaunchAgents/*.plist '
            "/Library/LaunchDaemons/*.plist; do "
            '[ -f "$f" ] && grep -qi ollama "$f" 2>/dev/null || continue; '
            f'case "${{f##*/}}" in "{exclude}.plist"|"{exclude}.warm.plist") continue;; esac; '
            'l=${f##*/}; l=${l%.plist}; echo "@@plist $f"; '
            'if head -c 8 "$f" | grep -q bplist; then echo "@@binary"; '
            'else cat "$f"; echo; fi; echo "@@end"; '
            'case " $labels " in *" $l "*) ;; *) labels="$labels $l";; esac; done; '
            'for d in "gui/$u" "user/$u" system; do '
            'listed=$(launchctl print "$d" 2>/dev/null); rc=$?; echo "@@domain $d $rc"; '
            '[ "$rc" = 0 ] || listed=" $labels "; '
            'for l in $labels; do case "$listed" in *"$l"*) ;; *) continue;; esac; '
            'echo "@@print $d/$l"; launchctl print "$d/$l" 2>&1; echo "@@rc=$?"; done; done'
        )

    def process(self, output) -> Jobs:
        plists: dict[str, PlistEntry] = {}
        jobs: dict[str, JobState] = {}
        domains: dict[str, int] = {}
        path, body, target = None, [], None
        for line in output:
            domain = line[len("@@domain "):].split() if line.startswith("@@domain ") else None
            if domain and len(domain) == 2 and domain[1].lstrip("-").isdigit():
                domains[domain[0]] = int(domain[1])
            elif line.startswith("@@plist "):
                path, body, target = line[len("@@plist "):].strip(), [], None
            elif line == "@@end" and path:
                plists[path] = {"label": path.rsplit("/", 1)[-1].removesuffix(".plist"),
                                "plist": _load_plist(body)}
                path = None
            elif line.startswith("@@print "):
                target, body = line[len("@@print "):].strip(), []
            elif line.startswith(RC) and target:
                if _exit_code([line]) == 0:
                    jobs[target] = parse_print(body)
                target = None
            else:
                body.append(line)
        for entry in plists.values():
            label = (entry["plist"] or {}).get("Label")
            if isinstance(label, str) and label:
                entry["label"] = label
        return {"plists": plists, "jobs": jobs, "domains": domains}


def job_state(jobs: Jobs | None, target: str) -> JobState:
    """``LaunchdJob``'s answer for ``target`` (``<domain>/<label>``, the uid a number), read
    from ``OllamaJobs``' value: right for the labels it prints in every domain (its
    ``exclude`` and ``<exclude>.warm``), whose absence from ``jobs`` means not loaded."""
    return (jobs or {}).get("jobs", {}).get(target) or {"loaded": False}


def domain_state(jobs: Jobs | None, domain: str) -> DomainState | None:
    """Whether ``domain`` (the uid a number) exists, from its listing's exit code in
    ``OllamaJobs``' value; None when its listing was never reached (unknown, not absent)."""
    code = (jobs or {}).get("domains", {}).get(domain)
    return None if code is None else {"exists": code == 0, "code": code}


def _load_plist(lines) -> dict | None:
    if lines == ["@@binary"]:
        return None
    try:
        value = plistlib.loads("\n".join(lines).strip().encode())
    except Exception:  # any unreadable plist is simply "unknown content"
        return None
    return value if isinstance(value, dict) else None
