"""Other Ollama servers on the Mac: which the deploy retires, and which stop it.

Read from one probe (``OllamaJobs``, which also prints our own job, and ``PortListeners``), before
any change. Every Ollama that is not our job is one of:

- ``brew``: ``brew services``' ``homebrew.mxcl.ollama``, in ``gui/<uid>``, ``user/<uid>``
  or ``system`` (Homebrew/brew ``services/system.rb``). Retired as ``brew services stop``
  does it: bootout, and its plist removed (``brew services start`` writes it again).
- ``seed``: the original install scripts' ``com.ollama`` LaunchAgent
  (``~/Library/LaunchAgents/com.ollama.plist`` running Homebrew's ``ollama serve``).
  Retired: bootout, and its plist moved to the backup folder with a note.
- ``unknown``: any other launchd job running ``ollama serve``. A conflict that stops the
  deploy before any change, unless ``ollama_retire_unknown_jobs`` lets the deploy retire it
  like ``seed``.
- ``ours_elsewhere``: our own label loaded in another domain (the job of the other
  ``ollama_service`` mode). Unloaded, and its plist removed.
- a listener on the Ollama port that is none of these and not Ollama.app's server: a
  conflict that always stops the deploy (the deploy never kills a process it did not start).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from remote_ollama.facts.launchd import BREW_LABEL, SEED_LABEL, serves_ollama

HOMEBREW_PREFIXES = ("/opt/homebrew/", "/usr/local/")


@dataclass(frozen=True)
class OtherJob:
    """One launchd job that is not ours: where it is, what it runs, and what it is."""

    kind: str  # "brew", "seed" or "unknown"
    label: str
    domain: str | None  # gui/<uid>, user/<uid> or system; None when not loaded
    plist: str | None
    pid: int | None = None
    state: str | None = None
    arguments: tuple[str, ...] = ()

    @property
    def sudo(self) -> bool:
        return self.domain == "system" or (self.plist or "").startswith("/Library/")

    def describe(self) -> str:
        where = f"loaded in {self.domain}" if self.domain else "not loaded"
        pid = f", pid {self.pid}" if self.pid else ""
        plist = self.plist or "no plist found"
        runs = " ".join(self.arguments) or "?"
        return f"launchd job {self.label!r} ({where}{pid}; plist {plist}; runs `{runs}`)"


@dataclass
class Survey:
    jobs: list[OtherJob] = field(default_factory=list)
    strays: list[dict] = field(default_factory=list)  # listeners nobody accounts for
    app_listeners: list[dict] = field(default_factory=list)
    serving: bool = False  # our job's pid is the (only) listener on the port

    def of_kind(self, kind: str, loaded: bool | None = None) -> list[OtherJob]:
        return [j for j in self.jobs if j.kind == kind
                and (loaded is None or bool(j.domain) == loaded)]  # fmt: skip


def _is_homebrew_ollama(arguments) -> bool:
    return serves_ollama(arguments) and str(arguments[0]).startswith(HOMEBREW_PREFIXES)


def _kind(label: str, plist_path: str | None, content: dict | None, arguments, home: str):
    if label == BREW_LABEL:
        return "brew"
    seed_path = f"{home.rstrip('/')}/Library/LaunchAgents/{SEED_LABEL}.plist"
    program = (content or {}).get("ProgramArguments") or arguments
    if label == SEED_LABEL and plist_path in (seed_path, None) and _is_homebrew_ollama(program):
        return "seed"
    if serves_ollama(program) or serves_ollama(arguments):
        return "unknown"
    return None


def survey(jobs_seen: dict | None, listeners: list[dict] | None, our_job: dict,
           home: str, our_target: str = "") -> Survey:
    """Classify every other Ollama job and every listener on the port (see module doc).

    ``our_target`` is our job's ``<domain>/<label>`` with the uid as a number."""
    jobs_seen = jobs_seen or {"plists": {}, "jobs": {}}
    result = Survey()
    labels_by_plist = {path: e["label"] for path, e in jobs_seen["plists"].items()}
    loaded_labels = set()
    for target, job in jobs_seen["jobs"].items():
        domain, _, label = target.rpartition("/")
        if target == our_target or label == f"{our_target.rpartition('/')[2]}.warm":
            continue  # ours, or our warm-up job (OllamaJobs prints both, for server.py)
        if label == our_target.rpartition("/")[2]:
            result.jobs.append(OtherJob("ours_elsewhere", label, domain, job.get("path"),
                                        job.get("pid"), job.get("state")))
            continue
        plist = job.get("path") or next(
            (p for p, lbl in labels_by_plist.items() if lbl == label), None)
        content = (jobs_seen["plists"].get(plist) or {}).get("plist") if plist else None
        kind = _kind(label, plist, content, job.get("arguments"), home)
        if kind:
            loaded_labels.add(label)
            result.jobs.append(OtherJob(kind, label, domain, plist, job.get("pid"),
                                        job.get("state"), tuple(job.get("arguments") or ())))
    for path, entry in jobs_seen["plists"].items():
        if entry["label"] in loaded_labels:
            continue
        content = entry["plist"] or {}
        kind = _kind(entry["label"], path, content, [], home)
        if kind:
            result.jobs.append(OtherJob(kind, entry["label"], None, path,
                                        arguments=tuple(content.get("ProgramArguments") or ())))
    ours = our_job.get("pid") if our_job.get("loaded") else None
    known = {j.pid for j in result.jobs if j.pid}
    for listener in listeners or []:
        if listener["pid"] == ours or listener["pid"] in known:
            continue
        if "/Ollama.app/" in listener.get("command", ""):
            result.app_listeners.append(listener)
        else:
            result.strays.append(listener)
    if listeners is None:  # no lsof: the job's own word is all there is
        result.serving = bool(ours) and our_job.get("state") == "running"
    else:
        result.serving = bool(ours) and {x["pid"] for x in listeners} == {ours}
    return result


def describe_listener(listener: dict, port: int) -> str:
    command = listener.get("command") or "?"
    return (f"process {listener['pid']} (user {listener.get('user') or '?'}, `{command}`) "
            f"listens on port {port}")
