"""The server deploy: converge one Apple Silicon Mac into a private, always-on Ollama server.

Everything the deploy needs to know about the host is read by one probe (see
``probe.py``; paths in the home are asked as ``~/...``), except the API when Ollama binds to
the Tailscale address: its URL comes from that probe's answer, so a second, one-section
probe asks it. Every decision below is made from them, before any command runs.
"""

from __future__ import annotations

from pyinfra import host, logger
from pyinfra.api import deploy

from remote_ollama import preflight, rollback
from remote_ollama.facts.files import FileDigest, ManagedFile, PathExists
from remote_ollama.facts.homebrew import BREW_PREFIX, BrewCellar
from remote_ollama.facts.launchd import LaunchdJob
from remote_ollama.facts.ollama import OllamaApi, OllamaApiOnTailnet
from remote_ollama.facts.power import PmsetSettings
from remote_ollama.facts.system import MacSystem, ProcessRunning, UserIdentity
from remote_ollama.facts.tailscale import TailscaleStatus
from remote_ollama.operations import files, homebrew, launchd, models, ollama, power
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

MIN_OLLAMA = "0.14.0"  # /v1/messages (Anthropic API) exists since this release
BREW_OLLAMA = f"{BREW_PREFIX}/opt/ollama/bin/ollama"
BREW_SERVICE = "homebrew.mxcl.ollama"
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


def _probe(settings: Settings) -> dict:
    """Identity, platform, Tailscale and the job's state, and the API if its URL is known."""
    paths = job_paths(settings, "~", binary_path(settings, "~"))  # ~/ paths: see probe.py
    label_target = f"{paths.domain}/{settings.ollama_label}"
    warm_label = f"{settings.ollama_label}.warm"
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
        "warm_job": (LaunchdJob, {"target": f"{paths.domain}/{warm_label}"}),
        "job": (LaunchdJob, {"target": label_target}),
        "brew_service": (LaunchdJob, {"target": f"gui/$(id -u)/{BREW_SERVICE}"}),
        "plist": (ManagedFile, {"path": paths.plist}),
        "plist_present": (PathExists, {"path": paths.plist}),
        "binary_present": (PathExists, {"path": paths.binary}),
        "logs": (PathExists, {"path": expand_home(settings.ollama_log_dir, "~")}),
    }
    requests.update(rollback.probe_requests())  # issue 15: the last failed upgrade, if any
    if settings.ollama_bind == "tailscale":  # Tailscale, and the API at its address
        requests["api_tailnet"] = (OllamaApiOnTailnet, {"port": settings.ollama_port})
    else:
        requests["tailscale"] = (TailscaleStatus, {})
        requests["api"] = (OllamaApi, {"base_url": api_url(settings, bind_address(settings, None))})
    seen = prime(host, requests)
    if "api_tailnet" in seen:
        seen["tailscale"] = seen["api_tailnet"]["tailscale"]
        remember(host, TailscaleStatus, {}, seen["tailscale"])
    return seen


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
    preflight.check_memory(host.name, settings, mac.get("memsize"), (seen["api"] or {}).get("models"))
    preflight.require_homebrew(host.name, seen["brew"])
    preflight.require_tailscale(host.name, settings, seen["tailscale"])

    sudo = settings.ollama_service == "daemon"
    homebrew.brew_service_stopped(name="Stop `brew services` Ollama job", formula="ollama")
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

    files.directory(name="Create the log directory", path=log_dir)
    env = ollama_environment(settings, address, home)
    plist_text = render_plist(settings, paths, env, identity["user"])
    plist_text = rollback.guard_plist(settings, seen, plist_text)  # issue 15: known-bad stays off
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
        restart=install.will_change,
        _sudo=sudo,
    )
    # issue 15: verify the restarted job; a failed upgrade or setting goes back (rollback.py)
    rollback.verified(
        name="Verify Ollama (roll back on failure)",
        base_url=url,
        timeout=settings.ollama_health_timeout,
        minimum=MIN_OLLAMA,
        log=paths.stderr,
        needed=launched.will_change or not seen["api"],
        want=settings.ollama_version,
        model=settings.default_model,
        previous=(seen["plist"] or {}).get("content"),
        new=plist_text,
        running=(seen["api"] or {}).get("version"),
        plist=paths.plist, domain=paths.domain, label=settings.ollama_label, sudo=sudo, home=home,
    )
    models.models_present(name="Pull missing models", base_url=url, models=settings.models)
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

    ship_tools(home, with_warm=True)
    _warm_at_boot(settings, paths, url, home, identity["user"])
    check_after_changes("Check the server against the API contract", home, url)


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


def _uninstall(settings: Settings, paths, log_dir: str, job: dict) -> None:
    sudo = settings.ollama_service == "daemon"
    launchd.job_unloaded(
        name="Unload the Ollama job", domain=paths.domain, label=settings.ollama_label,
        _sudo=sudo,
    )
    files.file_absent(name="Remove the Ollama plist", path=paths.plist, _sudo=sudo)
    files.file_absent(name="Remove the Ollama logs", path=log_dir)
    logger.info(
        f"{host.name}: kept Homebrew, Tailscale, the Ollama binary ({paths.binary}) and the "
        "models; remove them by hand if you want them gone."
    )
