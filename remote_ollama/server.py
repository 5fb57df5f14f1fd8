"""The server deploy: converge one Apple Silicon Mac into a private, always-on Ollama server.

Everything the deploy needs to know about the host is read by one probe (see
``probe.py``; paths in the home are asked as ``~/...``), except the API when Ollama binds to
the Tailscale address: its URL comes from that probe's answer, so a second, one-section
probe asks it. Every decision below is made from them, before any command runs.
"""

from __future__ import annotations

import plistlib

from pyinfra import host, logger
from pyinfra.api import deploy

from remote_ollama import bootstrap, preflight, rollback
from remote_ollama.facts.client import DirectoryEntries
from remote_ollama.facts.files import FileDigest, ManagedFile, PathExists
from remote_ollama.facts.homebrew import BREW_PREFIX, BrewCellar
from remote_ollama.facts.launchd import (
    BREW_LABEL,
    LaunchdJob,
    OllamaJobs,
    domain_state,
    job_state,
)
from remote_ollama.facts.ollama import OllamaApi, OllamaApiOnTailnet, PortListeners
from remote_ollama.facts.power import PmsetSettings
from remote_ollama.facts.system import MacSystem, ProcessRunning, UserIdentity
from remote_ollama.facts.tailscale import TailscaleStatus
from remote_ollama.operations import files, homebrew, launchd, models, ollama, owned_files, power
from remote_ollama.plist import (
    expand_home,
    job_paths,
    ollama_environment,
    render_plist,
    render_warm_plist,
)
from remote_ollama.probe import prime, remember
from remote_ollama.self_check import check_after_changes, ship_tools, tool_paths
from remote_ollama.settings import Settings
from remote_ollama.status import export as status_export
from remote_ollama.takeover import OtherJob, survey

MIN_OLLAMA = "0.14.0"  # /v1/messages (Anthropic API) exists since this release
BREW_OLLAMA = f"{BREW_PREFIX}/opt/ollama/bin/ollama"
def bind_address(settings: Settings, tailscale_ipv4: str | None) -> str:
    if settings.ollama_bind == "loopback":
        return "127.0.0.1"
    if settings.ollama_bind == "all":
        return "0.0.0.0"
    return tailscale_ipv4 or "127.0.0.1"


def api_url(settings: Settings, address: str) -> str:
    local = "127.0.0.1" if address == "0.0.0.0" else address
    return f"http://{local}:{settings.ollama_port}"


def binary_path(settings: Settings, home: str) -> str:
    if settings.ollama_version:
        return f"{expand_home(settings.ollama_install_dir, home)}/{settings.ollama_version}/ollama"
    return BREW_OLLAMA


def kept_root(settings: Settings, home: str) -> str:
    """Where copies of Homebrew's Ollama kegs are kept (``rollback.homebrew_keg_kept``)."""
    return f"{expand_home(settings.ollama_install_dir, home)}/{rollback.KEPT}"


def _probe(settings: Settings) -> dict:
    """Identity, platform, Tailscale and the job's state, and the API if its URL is known."""
    paths = job_paths(settings, "~", binary_path(settings, "~"))  # ~/ paths: see probe.py
    tools = tool_paths("~")
    requests = {
        "identity": (UserIdentity, {}),
        "mac": (MacSystem, {}),  # release, Apple Silicon and memory: one sysctl
        "brew": (BrewCellar, {}),
        "pmset": (PmsetSettings, {}),
        "app": (ProcessRunning, {"process": "Ollama"}),
        "contract": (FileDigest, {"path": tools["contract"]}),
        "warm": (FileDigest, {"path": tools["warm"]}),
        "warm_plist": (ManagedFile, {"path": warm_plist_path(settings, "~")}),
        "warm_plist_present": (PathExists, {"path": warm_plist_path(settings, "~")}),
        # Every Ollama job, ours and our warm job too, and each domain's listing: one
        # launchctl listing per domain, one print per label listed (_launchd_seen).
        "others": (OllamaJobs, {"exclude": settings.ollama_label}),
        "listeners": (PortListeners, {"port": settings.ollama_port}),
        "plist": (ManagedFile, {"path": paths.plist}),
        "plist_present": (PathExists, {"path": paths.plist}),
        "binary_present": (PathExists, {"path": paths.binary}),
        "logs": (PathExists, {"path": expand_home(settings.ollama_log_dir, "~")}),
        "backup": (PathExists, {"path": backup_dir(expand_home(settings.ollama_log_dir, "~"))}),
    }
    if settings.server_state == "absent":  # what uninstall may remove, by exact name
        requests.update(_uninstall_requests(settings, paths))
    requests.update(rollback.probe_requests())  # issue 15: the last failed upgrade, if any
    if not settings.ollama_version:  # issue 15: our copies of Homebrew's kegs (rollback.py)
        requests["brew_kept"] = (DirectoryEntries, {"path": kept_root(settings, "~")})
    if settings.ollama_bind == "tailscale":  # Tailscale, and the API at its address
        requests["api_tailnet"] = (OllamaApiOnTailnet, {"port": settings.ollama_port})
    else:
        requests["tailscale"] = (TailscaleStatus, {})
        requests["api"] = (OllamaApi, {"base_url": api_url(settings, bind_address(settings, None))})
    requests.update(bootstrap.probe_requests(settings))  # issue 16: opt-in, same probe
    seen = prime(host, requests)
    _launchd_seen(settings, seen, paths.domain)
    if "api_tailnet" in seen:
        seen["tailscale"] = seen["api_tailnet"]["tailscale"]
        remember(host, TailscaleStatus, {}, seen["tailscale"])
    return seen


def _launchd_seen(settings: Settings, seen: dict, domain: str) -> None:
    """Our job, the warm job and (agent mode) ``gui/<uid>``, from ``OllamaJobs``' answer,
    which lists each domain and prints these labels anyway: asking ``LaunchdJob`` for
    each as well would run launchctl again for the same answers.
    The jobs are remembered under the targets the launchd operations ask
    (``<paths.domain>/<label>``, ``$(id -u)`` unexpanded), so they ask no host either."""
    uid = (seen.get("identity") or {}).get("uid")
    numeric = domain.replace("$(id -u)", str(uid)) if uid is not None else None
    for name, label in (("job", settings.ollama_label),
                        ("warm_job", f"{settings.ollama_label}.warm")):
        if numeric is None:  # no identity: the deploy stops at require_identity
            seen[name] = {"loaded": False}
            continue
        seen[name] = job_state(seen["others"], f"{numeric}/{label}")
        remember(host, LaunchdJob, {"target": f"{domain}/{label}"}, seen[name])
    if settings.ollama_service == "agent" and uid is not None:
        seen["gui_domain"] = domain_state(seen["others"], f"gui/{uid}")


def _api_seen(seen: dict, address: str, url: str) -> dict | None:
    """What the API said, read in the one probe; a second read only if the addresses differ."""
    if "api" in seen:
        return seen["api"]
    on_tailnet = seen.get("api_tailnet") or {}
    if on_tailnet.get("address") == address:
        remember(host, OllamaApi, {"base_url": url}, on_tailnet["api"])
        return on_tailnet["api"]
    return prime(host, {"api": (OllamaApi, {"base_url": url})})["api"]


@deploy("remote-ollama server")
def converge_server(settings: Settings):
    """Converge the Ollama server, or uninstall it when ``server_state`` is ``absent``."""
    seen = _probe(settings)
    identity = preflight.require_identity(host.name, seen["identity"])
    home = identity["home"]
    address = bind_address(settings, (seen["tailscale"] or {}).get("ipv4"))
    url = api_url(settings, address)
    paths = job_paths(settings, home, binary_path(settings, home))
    log_dir = expand_home(settings.ollama_log_dir, home)
    seen["api"] = _api_seen(seen, address, url)
    status_export.export("server", settings, seen)  # issue 15: `remote-ollama status` reads it

    if settings.server_state == "absent":
        _uninstall(settings, paths, log_dir, seen)
        return

    mac = seen["mac"] or {}
    preflight.require_mac(host.name, seen["mac"])
    preflight.check_memory(host.name, settings, mac.get("memsize"))
    if bootstrap.deferred(settings, seen, settings.tailscale_server_tag, home, identity["user"],
                          lambda: converge_server(settings)):  # issue 16: a bare Mac first
        return
    preflight.require_homebrew(host.name, seen["brew"])
    preflight.require_tailscale(host.name, settings, seen["tailscale"])

    preflight.require_gui_domain(host.name, settings, seen.get("gui_domain"))
    our_target = f"{paths.domain}/{settings.ollama_label}".replace("$(id -u)",
                                                                   str(identity["uid"]))
    found = survey(seen["others"], seen["listeners"], seen["job"], home, our_target)
    preflight.require_no_conflicts(host.name, settings, found, settings.ollama_port)

    sudo = settings.ollama_service == "daemon"
    _retire_others(settings, found, identity, log_dir, paths.plist)
    ollama.app_quit(name="Quit Ollama.app", app="Ollama")

    if settings.ollama_version:
        install = ollama.release_installed(
            name=f"Install Ollama {settings.ollama_version} from its release archive",
            version=settings.ollama_version,
            url=settings.ollama_release_url.format(version=settings.ollama_version),
            directory=paths.binary.rsplit("/", 1)[0],
        )
    else:
        install = homebrew.brew_formula(name="Install Ollama (Homebrew formula)", formula="ollama")

    previous = (seen["plist"] or {}).get("content")
    running = (seen["api"] or {}).get("version")
    move = None
    if not settings.ollama_version:  # issue 15: Homebrew's formula moving (rollback.py)
        move = rollback.homebrew_move(seen["brew"], seen.get("brew_kept"), running,
                                      rollback.plist_binary(previous), BREW_OLLAMA)
        if move.keep_before:  # the old keg is still in the Cellar: keep it before the restart
            rollback.homebrew_keg_kept(
                name="Keep a copy of Homebrew's Ollama before the restart",
                root=kept_root(settings, home), keep=move.keep_before,
                keg=rollback.keg_path(BREW_PREFIX, move, move.keep_before), kept=None, needed=[],
            )

    files.directory(name="Create the log directory", path=log_dir)
    env = ollama_environment(settings, address, home)
    plist_text = render_plist(settings, paths, env, identity["user"])
    brew_version = move.version if move else None
    plist_text = rollback.guard_plist(settings, seen, plist_text,  # issue 15: known-bad stays off
                                      brew_version if paths.binary == BREW_OLLAMA else None)
    new_version = rollback.binary_version(rollback.plist_binary(plist_text)) or (
        brew_version if rollback.plist_binary(plist_text) == BREW_OLLAMA else None)
    moved = bool(move and move.moved)
    bad = moved and rollback.known_bad(seen.get("rollback"), plist_text,
                                       settings.ollama_retry_failed, new_version)
    if bad:  # the old process still serves; a restart would start the known-bad version
        logger.warning(f"{host.name}: {bad}")
        moved = False
    if moved:
        if move.back_to:  # the same plist, naming the kept copy of the version that serves
            kept = job_paths(settings, home,
                             rollback.kept_binary(expand_home(settings.ollama_install_dir, home),
                                                  move.back_to))
            previous = render_plist(settings, kept, env, identity["user"])
        else:
            logger.warning(f"{host.name}: Homebrew's Ollama moved from {running} to "
                           f"{move.version}, and no copy of {running} was kept: the restart is "
                           "verified but cannot be rolled back.")
    plist = files.file_content(
        name="Write the Ollama launchd plist",
        path=paths.plist,
        content=plist_text,
        mode="644",
        _sudo=sudo,
    )
    launched = launchd.job_loaded(
        name="Load the Ollama job",
        domain=paths.domain,
        label=settings.ollama_label,
        plist=paths.plist,
        reload=plist.will_change,
        restart=install.will_change or moved,  # Homebrew's formula moved: restart
        arguments=program_arguments(plist_text),  # a known-bad pin's plist was not written
        serving=found.serving,
        _sudo=sudo,
    )
    # issue 15: verify the restarted job; a failed upgrade or setting goes back (rollback.py)
    rollback.verified(
        name="Verify Ollama (roll back on failure)",
        base_url=url,
        timeout=settings.ollama_health_timeout,
        minimum=MIN_OLLAMA,
        log=paths.stderr,
        needed=launched.will_change or not seen["api"] or not found.serving,
        want=settings.ollama_version or new_version,
        model=settings.default_model,
        previous=previous,
        new=plist_text,
        running=running,
        new_version=new_version,
        plist=paths.plist, domain=paths.domain, label=settings.ollama_label, sudo=sudo, home=home,
        target=f"{paths.domain}/{settings.ollama_label}",
        port=settings.ollama_port,
    )
    if move and not bad:  # issue 15: keep a copy of the Homebrew keg that serves, verified
        _keep_homebrew(settings, home, move, plist_text, seen.get("brew_kept"))
    ship_tools(home, with_warm=True)  # before the pulls: warm.py does them
    models.models_present(name="Pull missing models", base_url=url, models=settings.models,
                          warm_script=tool_paths(home)["warm"])
    if settings.prune_models:
        models.models_pruned(name="Prune undeclared models", base_url=url, keep=settings.models)
    if settings.warm_models:
        models.models_warm(
            name="Warm models",
            base_url=url,
            models=settings.warm_models,
            keep_alive="-1",  # warm models stay loaded, so a re-run finds them in /api/ps
        )
    if settings.pmset:
        power.pmset(name="Keep the Mac awake (pmset)", settings=settings.pmset, _sudo=True)

    _warm_at_boot(settings, paths, url, home, identity["user"])
    check_after_changes("Check the server against the API contract", home, url)
    rollback.converge_recorded(name=rollback.RECORD_CONVERGE,  # issue 15: for `status`; last
                               path=rollback.state_paths(home)["converge"], role="server")


def _keep_homebrew(settings: Settings, home: str, move, plist_text: str,
                   kept: list[str] | None) -> None:
    """After the verify step: a copy of the keg of the version the job now runs (from
    Homebrew's link), and no other copies but the one the plist names (see rollback.py)."""
    binary = rollback.plist_binary(plist_text)
    serves = move.version if binary == BREW_OLLAMA else rollback.binary_version(binary)
    keep = serves if binary == BREW_OLLAMA and serves and serves not in (kept or []) else None
    rollback.homebrew_keg_kept(
        name="Keep a copy of Homebrew's Ollama (to roll back to)",
        root=kept_root(settings, home), keep=keep,
        keg=rollback.keg_path(BREW_PREFIX, move, keep) if keep else None,
        kept=[*(kept or []), *([move.keep_before] if move.keep_before else [])],
        needed=[serves] if serves else [],
        linked=f"{BREW_PREFIX}/opt/ollama" if binary == BREW_OLLAMA and not serves else None,
    )


def backup_dir(log_dir: str) -> str:
    """Where plists of retired jobs go: beside the logs, not in them (uninstall removes
    the logs and keeps this)."""
    return f"{log_dir.rstrip('/')}-backup"


def _retire_others(settings: Settings, found, identity: dict, log_dir: str,
                   our_plist: str) -> None:
    """Stop `brew services`' Ollama in every domain it runs in, and retire the install
    scripts' job (and, when allowed, unknown `ollama serve` jobs); see ``takeover.py``."""
    uid, home = identity["uid"], identity["home"]
    loaded = {j.domain: j for j in found.of_kind("brew", loaded=True)}
    for domain in (f"gui/{uid}", f"user/{uid}", "system"):
        job = loaded.get(domain)
        remember(host, LaunchdJob, {"target": f"{domain}/{BREW_LABEL}"},
                 {"loaded": True, "pid": job.pid, "state": job.state} if job else {"loaded": False})
        if job:
            folder = "/Library/LaunchDaemons" if domain == "system" else f"{home}/Library/LaunchAgents"
            homebrew.brew_service_stopped(
                name=f"Stop `brew services` Ollama job ({domain})", formula="ollama",
                domain=domain, plist=f"{folder}/{BREW_LABEL}.plist", _sudo=domain == "system",
            )
    for job in found.of_kind("brew", loaded=False):
        logger.warning(f"{host.name}: {job.describe()} is not loaded, but would start "
                       "another Ollama at the next login or boot; `brew services stop ollama` "
                       "(with sudo for /Library/LaunchDaemons) removes it.")
    for job in found.of_kind("ours_elsewhere"):  # the other ollama_service mode's job
        target = {"target": f"{job.domain}/{job.label}"}
        remember(host, LaunchdJob, target, {"loaded": True, "pid": job.pid})
        launchd.job_unloaded(name=f"Unload our job from {job.domain} (the other mode)",
                             domain=job.domain, label=job.label, _sudo=job.sudo)
        if job.plist and job.plist != our_plist:
            remember(host, PathExists, {"path": job.plist}, True)
            files.file_absent(name=f"Remove the other mode's plist {job.plist}",
                              path=job.plist, _sudo=job.sudo)
    retire = found.of_kind("seed")
    if settings.ollama_retire_unknown_jobs:
        retire += found.of_kind("unknown")
    for job in retire:
        _retire(job, backup_dir(log_dir))


def _retire(job: OtherJob, folder: str) -> None:
    why = ("the install scripts' LaunchAgent" if job.kind == "seed"
           else "a launchd job running ollama serve")
    op = launchd.job_retired(
        name=f"Retire {why} {job.label} ({job.domain or 'not loaded'})",
        label=job.label, domain=job.domain, plist=job.plist, backup_dir=folder, why=why,
        _sudo=job.sudo,
    )
    if op.will_change:
        logger.info(f"{host.name}: retiring {job.describe()}, {why}: booted out, and its "
                    f"plist moved to {folder} (see README.txt there).")


def program_arguments(plist_text: str) -> list[str] | None:
    """The ProgramArguments of the plist the deploy writes (ours, rendered by plistlib)."""
    arguments = plistlib.loads(plist_text.encode()).get("ProgramArguments")
    return arguments if isinstance(arguments, list) else None


def warm_plist_path(settings: Settings, home: str) -> str:
    label = f"{settings.ollama_label}.warm"
    if settings.ollama_service == "daemon":
        return f"/Library/LaunchDaemons/{label}.plist"
    return f"{home}/Library/LaunchAgents/{label}.plist"


def _warm_at_boot(settings: Settings, paths, url: str, home: str, user: str) -> None:
    """A small job that loads warm_models after every boot (opt-in: warm_at_boot)."""
    sudo = settings.ollama_service == "daemon"
    label = f"{settings.ollama_label}.warm"
    plist_path = warm_plist_path(settings, home)
    if not (settings.warm_at_boot and settings.warm_models):
        launchd.job_unloaded(name="Unload the warm-up job", domain=paths.domain, label=label,
                             _sudo=sudo)
        files.file_absent(name="Remove the warm-up job", path=plist_path, _sudo=sudo)
        return
    text = render_warm_plist(settings, label, tool_paths(home)["warm"], url, paths, user)
    plist = files.file_content(name="Write the warm-up job", path=plist_path, content=text,
                               mode="644", _sudo=sudo)
    launchd.job_loaded(name="Load the warm-up job", domain=paths.domain, label=label,
                       plist=plist_path, reload=plist.will_change, oneshot=True, _sudo=sudo)


# The log files the jobs write (plist.job_paths, render_warm_plist): all uninstall removes
# from the log folder. The folder itself goes only when it is the default one, named for
# us, and then holds nothing else; a folder the user chose is never removed.
LOG_FILES = ("ollama.out.log", "ollama.err.log", "warm.log")
DEFAULT_LOG_DIR = Settings.model_fields["ollama_log_dir"].default


def _log_files(log_dir: str) -> list[str]:
    return [f"{log_dir}/{name}" for name in LOG_FILES]


def _uninstall_requests(settings: Settings, paths) -> dict:
    """Probe requests for ``_uninstall``: each log file by name, and the default folder."""
    log_dir = expand_home(settings.ollama_log_dir, "~")
    requests = {f"log.{name}": (PathExists, {"path": path})
                for name, path in zip(LOG_FILES, _log_files(log_dir), strict=True)}  # fmt: skip
    if settings.ollama_log_dir == DEFAULT_LOG_DIR:
        requests["log_dir_entries"] = (DirectoryEntries, {"path": log_dir})
    return requests


def _uninstall(settings: Settings, paths, log_dir: str, seen: dict) -> None:
    """Remove what the deploy created, by exact name: the jobs, their plists, our log files
    (and the default log folder once empty). Never a folder's contents. ``seen`` is the
    probe's answers: ``seen["backup"]`` says whether earlier runs left retired plists."""
    sudo = settings.ollama_service == "daemon"
    launchd.job_unloaded(
        name="Unload the Ollama job", domain=paths.domain, label=settings.ollama_label,
        _sudo=sudo,
    )
    files.file_absent(name="Remove the Ollama plist", path=paths.plist, _sudo=sudo)
    warm_label = f"{settings.ollama_label}.warm"
    launchd.job_unloaded(name="Unload the warm-up job", domain=paths.domain, label=warm_label,
                         _sudo=sudo)
    warm_plist = f"{paths.plist.rsplit('/', 1)[0]}/{warm_label}.plist"  # next to the job's
    files.file_absent(name="Remove the warm-up job", path=warm_plist, _sudo=sudo)
    files.files_absent(name="Remove the Ollama logs", paths=_log_files(log_dir))
    if settings.ollama_log_dir == DEFAULT_LOG_DIR:
        owned_files.directory_absent_if_empty(
            name="Remove the log folder", path=log_dir, ignoring=list(LOG_FILES)
        )
    logger.info(
        f"{host.name}: kept Homebrew, Tailscale, the Ollama binary ({paths.binary}), the "
        "models and every other file in the log folder; remove them by hand if you want "
        "them gone."
    )
    if seen.get("backup"):
        logger.info(
            f"{host.name}: nothing of an earlier setup was restored; the plists of the jobs "
            f"the deploy retired are in {backup_dir(log_dir)} (README.txt there says what "
            "each was)."
        )
