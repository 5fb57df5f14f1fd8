"""Stubbed Apple Silicon Macs for plan tests: fresh, converged, and drifted variants.

Each builder returns probe sections (see ``remote_ollama.probe``) made from the recorded
macOS outputs in tests/fixtures/macos (formats and sources are in its README).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from remote_ollama.plist import job_paths, ollama_environment, render_plist
from remote_ollama.self_check import shipped_source
from remote_ollama.server import api_url, binary_path, bind_address
from remote_ollama.settings import Settings, latest, validate_host
from tests.plan.harness import managed_file_lines, probe_output, repo_group_data

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "macos"
HOME, USER, UID = "/Users/admin", "admin", 501
TAILSCALE_IP = "100.101.102.103"


# What a fresh Mac's server converge changes, in order (Homebrew Ollama, agent mode).
FRESH_SERVER_CHANGES = [
    "Install Ollama (Homebrew formula)",
    "Create the log directory",
    "Write the Ollama launchd plist",
    "Load the Ollama job",
    "Verify Ollama (roll back on failure)",
    "Keep a copy of Homebrew's Ollama (to roll back to)",  # the keg this run installed
    "Ship the contract check",
    "Ship the warm-up tool",
    "Pull missing models",
    "Keep the Mac awake (pmset)",
    "Check the server against the API contract",
    "Record this converge",  # last, only when something changed (rollback.converge_recorded)
]


def mac_system(version: str, arm64: bool = True, memsize: int = 128 * 2**30):
    """The MacSystem section: ``sysctl hw.memsize hw.optional.arm64 kern.osproductversion``
    (an Intel Mac's sysctl has no hw.optional.arm64 and exits 1; the fact's command still
    exits 0, ``remote_ollama.facts.base``)."""
    lines = [f"hw.memsize: {memsize}", *(["hw.optional.arm64: 1"] if arm64 else []),
             f"kern.osproductversion: {version}"]
    return (0, lines)


def recorded(name: str) -> list[str]:
    return (FIXTURES / name).read_text().splitlines()


def group_settings(role: str, **overrides) -> Settings:
    """Settings of a host in ``role`` with the repo's group_data plus ``overrides``."""
    data = repo_group_data()
    return validate_host(f"test-{role}", {**data["all"], **data[role], **overrides})


def _file(content: str | None, mode: str = "644") -> tuple[int, list[str]]:
    return (0, managed_file_lines(content, mode))


def digest_of(content: str, mode: str) -> tuple[int, list[str]]:
    """A FileDigest section as `stat` and `sha256sum` print it for a file with ``content``."""
    digest = hashlib.sha256(content.encode()).hexdigest()
    return (0, [mode, f"{digest}  /shipped/file"])


def _api(settings: Settings, models: list[str], version: str = "0.14.2") -> tuple:
    tags = {"models": [{"name": latest(m), "digest": "sha256:" + "0" * 12} for m in models]}
    body = [json.dumps({"version": version}), json.dumps(tags), json.dumps({"models": []})]
    return (0, body)


OUR_LABEL = "com.remote-ollama.ollama"
DOMAINS = (f"gui/{UID}", f"user/{UID}", "system")


def ollama_jobs(jobs: dict[str, list[str]] | None = None,
                plists: dict[str, str] | None = None,
                listings: dict[str, int] | None = None) -> tuple[int, list[str]]:
    """The OllamaJobs section: plists that mention ollama, then per domain its listing's
    exit code (``listings``, 0 unless given) and ``launchctl print`` of each label the
    listing names (loaded: the targets in ``jobs``), or of every label when the listing
    failed (then absent unless ``jobs`` has the target), as the fact's command does."""
    jobs, plists, listings = jobs or {}, plists or {}, listings or {}
    lines = []
    labels = ["homebrew.mxcl.ollama", "com.ollama", OUR_LABEL, f"{OUR_LABEL}.warm"]
    for path, text in plists.items():
        lines += [f"@@plist {path}", *text.splitlines(), "", "@@end"]
        label = path.rsplit("/", 1)[-1].removesuffix(".plist")
        labels += [] if label in labels else [label]
    for domain in DOMAINS:
        listed = listings.get(domain, 0)
        lines.append(f"@@domain {domain} {listed}")
        for label in labels:
            target = f"{domain}/{label}"
            if listed == 0 and target not in jobs:
                continue  # not in the listing: not printed
            lines.append(f"@@print {target}")
            lines += jobs.get(target) or [f'Could not find service "{label}" in domain for '
                                          f"{domain}", "@@rc=113"]
    return (0, lines)


def _exit_code(lines: list[str]) -> int:
    return next((int(ln[len("@@rc="):]) for ln in reversed(lines) if ln.startswith("@@rc=")), 1)


def fold_launchd(sections: dict, job_domain: str = f"gui/{UID}") -> dict:
    """``sections`` with its ``job``, ``warm_job`` and ``gui_domain`` (what ``launchctl
    print`` says of our job and our warm job, LaunchdJob's output, and the exit code of
    ``launchctl print gui/<uid>`` as ``@@rc=<code>``) folded into its ``others``
    (OllamaJobs), which answers all three in the server's probe: a loaded job is printed
    in ``job_domain`` (the job's domain: ``system`` for a daemon), and the domain's exit
    code is its listing's."""
    sections = dict(sections)
    folded = {name: sections.pop(name) for name in ("job", "warm_job", "gui_domain")
              if name in sections}
    if "others" not in sections:
        return sections
    code, lines = sections["others"]
    for name, label in (("job", OUR_LABEL), ("warm_job", f"{OUR_LABEL}.warm")):
        job = folded.get(name, (0, []))[1]
        if _exit_code(job) != 0:
            continue
        target = f"{job_domain}/{label}"
        out, skip = [], False
        for line in lines:  # drop what others said of the target, then print the job
            skip = skip or line == f"@@print {target}"
            if not skip:
                out.append(line)
            elif line.startswith("@@rc="):
                skip = False
        lines = [*out, f"@@print {target}", *job]
    if "gui_domain" in folded:
        rc = _exit_code(folded["gui_domain"][1])
        lines = [f"@@domain gui/{UID} {rc}" if ln.startswith(f"@@domain gui/{UID} ") else ln
                 for ln in lines]
    return {**sections, "others": (code, lines)}


def listeners(*processes: tuple[int, str, str]) -> tuple[int, list[str]]:
    """The PortListeners section: ``(pid, user, command)`` per listener."""
    lines = []
    for pid, user, command in processes:
        lines += [f"@@pid {pid}", f"{pid:>5}     1 {user:<8} {command}"]
    return (0, lines)


OUR_PID = 4242
BREW_BINARY = "/opt/homebrew/opt/ollama/bin/ollama"  # what launchctl-print-running.txt runs  # the pid in launchctl-print-running.txt


def fresh_mac(**changes) -> dict[str, tuple[int, list[str]]]:
    """A Mac with Homebrew and a logged-in Tailscale, nothing of ours yet."""
    sections = {
        "identity": (0, [f"uid={UID}", f"user={USER}", f"home={HOME}", "shell=/bin/zsh"]),
        "mac": mac_system("15.1", memsize=128 * 2**30),
        "brew": (0, ["brew", "formula /opt/homebrew/Cellar/git/2.47.0"]),
        "tailscale": (0, recorded("tailscale-status-running.json")),
        "pmset": (0, recorded("pmset-g-default.txt")),
        "app": (0, ["no"]),
        "job": (0, recorded("launchctl-print-absent.txt")),
        "gui_domain": (0, ["@@rc=0"]),
        "others": ollama_jobs(),
        "listeners": listeners(),
        "plist": _file(None),
        "plist_present": (0, ["no"]),
        "binary_present": (0, ["no"]),
        "logs": (0, ["no"]),
        "backup": (0, ["no"]),
        "brew_kept": (0, ["absent"]),  # ollama_install_dir/homebrew (rollback.homebrew_keg_kept)
        **{name: (0, ["@@absent"]) for name in ("rollback", "rollback_resolved", "upgrade",
                                               "last_converge")},
        **{f"log.{name}": (0, ["no"]) for name in ("ollama.out.log", "ollama.err.log", "warm.log")},
        "log_dir_entries": (0, ["absent"]),
        "api": (7, []),
        "api_tailnet": (0, [f"@@address {TAILSCALE_IP}"]),  # after the tailscale lines: stub()
        "contract": _file(None),
        "warm": _file(None),
        "warm_plist": _file(None),
        "warm_plist_present": (0, ["no"]),
        "warm_job": (0, recorded("launchctl-print-absent.txt")),
    }
    sections.update(changes)
    return sections


def converged_mac(settings: Settings, **changes) -> dict[str, tuple[int, list[str]]]:
    """A Mac exactly as the server deploy leaves it for ``settings``."""
    address = bind_address(settings, TAILSCALE_IP)
    paths = job_paths(settings, HOME, binary_path(settings, HOME))
    plist = render_plist(settings, paths, ollama_environment(settings, address, HOME), USER)
    version = settings.ollama_version or "0.14.2"
    cellar = ["brew", "formula /opt/homebrew/Cellar/git/2.47.0"]
    kept = (0, ["absent"])
    if not settings.ollama_version:
        cellar.append(f"formula /opt/homebrew/Cellar/ollama/{version}")
        kept = (0, ["dir", version])  # the deploy keeps a copy of the keg that serves
    sections = fresh_mac(
        brew=(0, cellar),
        pmset=(0, recorded("pmset-g-converged.txt")),
        job=(0, [line.replace(BREW_BINARY, paths.binary)
                 for line in recorded("launchctl-print-running.txt")]),
        listeners=listeners((OUR_PID, USER, f"{paths.binary} serve")),
        plist=_file(plist),
        plist_present=(0, ["yes"]),
        binary_present=(0, ["yes"]),
        brew_kept=kept,
        logs=(0, ["yes"]),
        **{f"log.{name}": (0, ["yes"]) for name in ("ollama.out.log", "ollama.err.log")},
        **{"log.warm.log": (0, ["no"])},
        log_dir_entries=(0, ["dir", "ollama.err.log", "ollama.out.log"]),
        api=_api(settings, settings.models, version),
        api_tailnet=(0, [f"@@address {TAILSCALE_IP}", *_api(settings, settings.models, version)[1]]),
        contract=digest_of(shipped_source("contract"), "755"),
        warm=digest_of(shipped_source("warm"), "755"),
    )
    sections.update(changes)
    return sections


def stub(sections: dict[str, tuple[int, list[str]]], **data) -> dict:
    """Host data for the harness: the probe answers with ``sections``.

    ``api_tailnet`` prints Tailscale's status first (OllamaApiOnTailnet): the stub's
    ``tailscale`` section, so a test changes Tailscale in one place for either bind. Our
    job, the warm job and the GUI domain are folded into ``others`` (``fold_launchd``)."""
    sections = fold_launchd(sections)
    if "api_tailnet" in sections and "tailscale" in sections:
        code, lines = sections["api_tailnet"]
        sections = {**sections, "api_tailnet": (code, [*sections["tailscale"][1], *lines])}
    return {"fake_responses": {"@@remote-ollama-probe-begin": probe_output(sections)}, **data}


__all__ = [
    "FRESH_SERVER_CHANGES",
    "OUR_PID",
    "api_url",
    "converged_mac",
    "fold_launchd",
    "fresh_mac",
    "group_settings",
    "listeners",
    "mac_system",
    "ollama_jobs",
    "recorded",
    "stub",
]
