"""The client deploy: make a macOS or Debian/Ubuntu machine ready for Aider and claude-ollama.

One probe reads everything (paths in the home directory are asked as ``~/...`` before the
home is known; see ``probe.py``); every decision below is made from it before any command
runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyinfra import host, logger
from pyinfra.api import deploy

from remote_ollama import bootstrap, render, rollback
from remote_ollama import client_preflight as checks
from remote_ollama.facts.client import (
    AiderInstall,
    CommandPath,
    DirectoryEntries,
    ServerReachability,
    SymlinkTarget,
)
from remote_ollama.facts.files import FileDigest, ManagedFile, PathExists
from remote_ollama.facts.homebrew import BREW_PREFIX, BrewCellar
from remote_ollama.facts.system import Architecture, LinuxRelease, MacOSVersion, UserIdentity
from remote_ollama.facts.tailscale import TailscaleStatus
from remote_ollama.operations import (
    aider,
    claude_code,
    client_upgrade,
    files,
    homebrew,
    json_settings,
    owned_files,
    profile,
    version_lock,
)
from remote_ollama.preflight import DeployError, require_homebrew
from remote_ollama.probe import prime
from remote_ollama.self_check import check_after_changes, ship_tools, tool_paths
from remote_ollama.settings import HOSTNAME_RE, IPV4_RE, Settings
from remote_ollama.status import export as status_export

ENV_START, ENV_END = "# >>> remote-ollama env >>>", "# <<< remote-ollama env <<<"
CLAUDE_START = "# >>> remote-ollama claude-ollama >>>"
CLAUDE_END = "# <<< remote-ollama claude-ollama <<<"
PROFILES = (".zshrc", ".zprofile", ".bashrc", ".bash_profile", ".profile")
SHELL_PROFILES = "Shell profiles (~/.zshrc, .zprofile, .bashrc, .bash_profile, .profile)"
TAKE_OVER = " (replacing the install scripts' blocks)"  # in the name when a profile has one
REMOVE_FORMER = " (removing the install scripts' blocks too)"  # the same, on uninstall
# What the install scripts (henriquefalconer/remote-ollama, client/scripts/install.sh) append
# to ~/.zshrc or ~/.bashrc: after an empty line, the env block (its path as "$HOME/..." or
# absolute, its comment naming remote-ollama or remote-ollama-proxy) and, in later versions,
# a claude-ollama alias block. Ours replace them; any other line in them stops the run.
SEED_ENV = profile.FormerBlock(
    "# >>> ai-client >>>", "# <<< ai-client <<<",
    re.compile(r'#.*|if \[ -f "[^"]*/\.ai-client/env" \]; then|(source|\.) "[^"]*/\.ai-client/env"|fi|'),
)
SEED_CLAUDE = profile.FormerBlock(
    "# >>> claude-ollama >>>", "# <<< claude-ollama <<<",
    re.compile(r"#.*|alias claude-ollama='[^']*'|"),
)
# ~/.ai-client/uninstall.sh, copied there by the install scripts: it removes Aider (pipx),
# the profile blocks and all of ~/.ai-client, so it would undo this deploy behind its back.
SEED_UNINSTALLER = ".ai-client/uninstall.sh"
SEED_UNINSTALLER_SIGN = "remote-ollama"  # its header: "# remote-ollama-client uninstall script"
# Aider's files in the home directory, each with the header that marks it as ours.
AIDER_FILES = {
    ".aider.conf.yml": render.HEADER,
    ".aider.model.settings.yml": render.HEADER,
    ".aider.model.metadata.json": render.JSON5_HEADER,
}
AUTOUPDATER_OFF = {"env": {"DISABLE_AUTOUPDATER": "1"}}
INSTALLERS = ("uv", "pipx")


def server_url(settings: Settings, inventory) -> str | None:
    """``http://<ollama_server_host or the server group's first host>:<ollama_port>``.

    None for an uninstall (``client_state=absent``) with no server known: it needs none.
    """
    name = settings.ollama_server_host
    if not name:
        servers = inventory.get_group("server", []) if "server" in inventory.groups else []
        if not servers and settings.client_state == "absent":
            return None
        if not servers:
            raise DeployError(
                "no server known: set ollama_server_host (e.g. --data ollama_server_host="
                "ai-server) or put the server in the inventory's `server` group."
            )
        name = _inventory_address(servers[0].name, settings)
        if name is None and settings.client_state == "absent":
            return None
        if not name or not (IPV4_RE.fullmatch(name) or HOSTNAME_RE.fullmatch(name)):
            raise DeployError(
                f"the server's inventory name {servers[0].name!r} is not a hostname or IPv4 "
                "address; set ollama_server_host to the address clients should use."
            )
    return f"http://{name}:{settings.ollama_port}"


def _inventory_address(name: str, settings: Settings) -> str | None:
    """The address in an inventory name: ``@ssh/ai-server`` -> ``ai-server``; ``@local`` is
    this machine, reachable at 127.0.0.1 unless Ollama binds only to the Tailscale address
    (not known before the server's probe): None."""
    if name == "@local":
        return "127.0.0.1" if settings.ollama_bind != "tailscale" else None
    return name.split("/", 1)[1] if name.startswith("@") and "/" in name else name


@dataclass(frozen=True)
class Paths:
    """Every path the client deploy touches, absolute, for one user's home."""

    home: str

    def __getitem__(self, relative: str) -> str:
        return f"{self.home.rstrip('/')}/{relative}"

    @property
    def env(self) -> str:
        return self[render.ENV_FILE]

    @property
    def client_dir(self) -> str:
        return self[".ai-client"]

    @property
    def claude_script(self) -> str:
        return self[render.CLAUDE_SCRIPT]

    @property
    def lock(self) -> str:
        return self[".ai-client/.version-lock"]

    @property
    def aider_root(self) -> str:
        return self[aider.ROOT]

    @property
    def aider_link(self) -> str:
        return self[aider.LINK]

    @property
    def claude_root(self) -> str:
        return self[".local/share/remote-ollama/claude-code"]

    @property
    def claude_link(self) -> str:
        return self[".local/bin/claude"]

    @property
    def claude_settings(self) -> str:
        return self[".claude/settings.json"]


def _probe(settings: Settings, url: str | None) -> dict:
    """Identity, platform, Tailscale, the server, and every file and tool in the home."""
    paths = Paths("~")  # ~/ paths: resolved in the probe's $HOME, cached for the real home
    requests = {
        "identity": (UserIdentity, {}),
        "macos": (MacOSVersion, {}),
        "linux": (LinuxRelease, {}),
        "arch": (Architecture, {}),
        "brew": (BrewCellar, {}),
    }
    wants_version = settings.claude_code_enabled and not settings.ollama_version
    if settings.client_state == "present" and (settings.reachability_check or wants_version):
        requests["server"] = (ServerReachability, {"base_url": url})  # and Tailscale if needed
    else:
        requests["tailscale"] = (TailscaleStatus, {})
    requests.update({f"profile{p}": (ManagedFile, {"path": paths[p]}) for p in PROFILES})
    requests["seed_uninstaller"] = (ManagedFile, {"path": paths[SEED_UNINSTALLER]})
    for name in AIDER_FILES:
        requests[f"file{name}"] = (ManagedFile, {"path": paths[name]})
        requests[f"backup{name}"] = (PathExists, {"path": paths[name] + owned_files.BACKUP_SUFFIX})
    for installer in INSTALLERS:
        requests[f"aider_{installer}"] = (AiderInstall, {"installer": installer})
        requests[installer] = (CommandPath, {"program": installer})
    aider_target = f"{paths.aider_root}/{aider.entry(settings.aider_version, settings.aider_python)}"
    requests.update({  # issue 15: Aider's versions side by side (operations/aider.py)
        "aider_link": (SymlinkTarget, {"path": paths.aider_link}),
        "aider_checked": (PathExists, {"path": f"{aider_target}/{aider.CHECKED}"}),
        "aider_versions": (DirectoryEntries, {"path": paths.aider_root}),
        "aider_present": (PathExists, {"path": paths.aider_root}),
    })
    version = settings.claude_code_version or "none"
    requests.update(
        {
            "env": (ManagedFile, {"path": paths.env}),
            "lock": (ManagedFile, {"path": paths.lock}),
            "env_present": (PathExists, {"path": paths.env}),
            "lock_present": (PathExists, {"path": paths.lock}),
            "claude_script": (ManagedFile, {"path": paths.claude_script}),
            "claude_script_present": (PathExists, {"path": paths.claude_script}),
            "claude_present": (PathExists, {"path": paths.claude_root}),
            "client_dir": (DirectoryEntries, {"path": paths.client_dir}),
            "python": (CommandPath, {"program": f"python{settings.aider_python}"}),
            "claude_versions": (DirectoryEntries, {"path": paths.claude_root}),
            "claude_binary": (PathExists, {"path": f"{paths.claude_root}/{version}/claude"}),
            "claude_link": (SymlinkTarget, {"path": paths.claude_link}),
            "claude_settings": (ManagedFile, {"path": paths.claude_settings}),
            "contract": (FileDigest, {"path": tool_paths(paths.home)["contract"]}),
            "contract_present": (PathExists, {"path": tool_paths(paths.home)["contract"]}),
        }
    )
    requests.update(bootstrap.probe_requests(settings))  # issue 16: opt-in, same probe
    requests.update(rollback.converge_request("client"))  # issue 15: for `status`
    seen = prime(host, requests)
    if "server" in seen:  # Tailscale was asked only if the server gave no answer
        seen["tailscale"] = seen["server"]["tailscale"]
    home = (seen["identity"] or {}).get("home", "")
    seen["aider"] = aider.in_use(seen["aider_link"], Paths(home).aider_root) if home else None
    return seen


def profile_targets(shell: str, seen: dict) -> list[str]:
    """The files that get our blocks for a shell.

    zsh: ~/.zshrc (interactive) and ~/.zprofile (login: `zsh -lc`). bash: ~/.bashrc, and
    the login file bash reads (~/.bash_profile if it exists, else ~/.profile), because
    Debian's ~/.bashrc returns early in non-interactive shells.
    """
    if shell == "zsh":
        return [".zshrc", ".zprofile"]
    login = ".bash_profile" if seen["profile.bash_profile"] is not None else ".profile"
    return [".bashrc", login]


@deploy("remote-ollama client")
def converge_client(settings: Settings, url: str | None):
    """Converge this client, or uninstall it when ``client_state`` is ``absent``."""
    seen = _probe(settings, url)
    status_export.export("client", settings, seen)  # issue 15: `remote-ollama status` reads it
    identity = seen["identity"]
    if not identity or not identity.get("home", "").startswith("/"):
        raise DeployError(f"{host.name}: could not read the user's id and home directory.")
    paths = Paths(identity["home"])
    if settings.client_state == "absent":
        _uninstall(paths, seen)
        return

    platform = checks.require_platform(host.name, seen["macos"], seen["linux"], seen["arch"])
    if bootstrap.deferred(settings, seen, settings.tailscale_client_tag, paths.home,
                          identity.get("user", ""), lambda: converge_client(settings, url),
                          linux=seen["linux"] if platform.system == "linux" else None):
        return  # issue 16: Homebrew/Tailscale first, then the rest on the fresh host
    shell = checks.login_shell(host.name, settings, identity)
    ollama = None
    if settings.claude_code_enabled:
        checks.require_claude_pin(host.name, settings)
        ollama = settings.ollama_version or (seen.get("server") or {}).get("version")
        checks.check_compatibility(host.name, settings, ollama)
    if platform.system == "darwin":
        require_homebrew(host.name, seen["brew"])
    python = _aider_python(settings, platform, seen)
    if seen["tailscale"] is not None:  # None: the server answered, no diagnosis needed
        checks.report_tailscale(host.name, platform, seen["tailscale"])

    tool = _installer(settings, platform, paths, seen)
    _aider(settings, paths, tool, python, seen)
    files.file_content(
        name="Write ~/.ai-client/env",
        path=paths.env,
        content=render.env_file(settings, url),
        mode="600",
    )
    contents = {
        ".aider.conf.yml": render.aider_conf(settings),
        ".aider.model.settings.yml": render.aider_model_settings(settings),
        ".aider.model.metadata.json": render.aider_model_metadata(settings),
    }
    owned_files.owned_files(
        name="Write Aider's files (~/.aider.conf.yml, .aider.model.*)",
        files=[{"path": paths[name], "content": contents[name], "header": header}
               for name, header in AIDER_FILES.items()],
    )
    targets = profile_targets(shell, seen)
    _profiles(paths, targets, settings.claude_code_enabled, seen)
    _seed_uninstaller_absent(paths)
    if settings.claude_code_enabled:
        _claude_code(settings, url, platform, paths, ollama, seen)
    else:
        _claude_code_absent(paths, seen)
        files.file_absent(name="Remove the version lock", path=paths.lock)
    if settings.reachability_check:
        checks.report_reachability(host.name, url, seen.get("server"))
        ship_tools(identity["home"], with_warm=False)
        check_after_changes("Check the server from this client (warns only)",
                            identity["home"], url, client=True)
    rollback.converge_recorded(name=rollback.RECORD_CONVERGE,  # issue 15: for `status`; last
                               path=rollback.state_paths(paths.home)["client_converge"],
                               role="client")


def _aider(settings: Settings, paths: Paths, tool: str, python: str, seen: dict) -> None:
    """Aider side by side (issue 15): install and check the pin beside the version in use,
    switch ``~/.local/bin/aider``, then remove uv's or pipx's own install of Aider (a seed
    or pre-issue-15 machine) and our other versions."""
    version, minor = settings.aider_version, settings.aider_python
    legacy = {i: seen[f"aider_{i}"] for i in INSTALLERS if seen[f"aider_{i}"]}
    previous = (seen["aider"] or next(iter(legacy.values()), None) or {}).get("version")
    aider.aider_checked(
        name=f"Install Aider {version}",
        installer=settings.aider_installer,
        tool=tool,
        version=version,
        python=python,
        python_minor=minor,
        root=paths.aider_root,
        previous=previous,
        index_url=settings.package_index_url,
        find_links=settings.package_find_links,
        batch=settings.client_rollout_batch,  # a rollout, as Claude Code's (rollout.py)
        max_failures=settings.client_rollout_max_failures,
    )
    target = aider.binary(paths.aider_root, version, minor)
    aider.aider_link(name="Link ~/.local/bin/aider", link=paths.aider_link, target=target,
                     root=paths.aider_root)
    ours = aider.owns_link(seen["aider_link"], paths.aider_root)
    for installer in INSTALLERS:
        aider.aider_absent(
            name=f"Remove Aider installed with {installer}",
            installer=installer,
            tool=seen[installer],
            relink=(paths.aider_link, target) if ours else None,
        )
    aider.versions_pruned(name="Remove other Aider versions", keep=aider.entry(version, minor),
                          root=paths.aider_root)


def _aider_python(settings: Settings, platform: checks.Platform, seen: dict) -> str:
    """The interpreter for Aider: found on the host, from Homebrew (macOS), or fetched by uv."""
    minor = settings.aider_python
    if seen["python"]:
        return seen["python"]
    if platform.system == "darwin":
        homebrew.brew_formula(name=f"Install Python {minor} (Homebrew)", formula=f"python@{minor}")
        return f"{BREW_PREFIX}/bin/python{minor}"
    offline = settings.package_find_links and not settings.package_index_url
    if settings.aider_installer == "pipx" or offline:
        raise DeployError(
            f"{host.name}: python{minor} is not installed, and "
            + (
                "pipx cannot fetch it"
                if settings.aider_installer == "pipx"
                else "uv cannot fetch it offline (package_find_links without an index)"
            )
            + f". Install python{minor} (apt-get install python{minor}) or set aider_python to "
            "a version the host has (3.10-3.12)."
        )
    return minor  # uv finds or downloads a matching managed Python


def _installer(settings: Settings, platform: checks.Platform, paths: Paths, seen: dict) -> str:
    """Install uv or pipx (Homebrew on macOS, a user venv on Linux); return its path."""
    program = settings.aider_installer
    if seen[program]:
        return seen[program]
    if platform.system == "darwin":
        homebrew.brew_formula(name=f"Install {program} (Homebrew)", formula=program)
        return f"{BREW_PREFIX}/bin/{program}"
    link = paths[f".local/bin/{program}"]
    aider.tool_venv(
        name=f"Install {program} (user venv)",
        program=program,
        venv=paths[f".local/share/remote-ollama/{program}"],
        link=link,
        index_url=settings.package_index_url,
        find_links=settings.package_find_links,
    )
    return link


def _binary(settings: Settings, paths: Paths) -> str:
    return f"{paths.claude_root}/{settings.claude_code_version}/claude"


def _profiles(paths: Paths, targets: list[str], claude: bool, seen: dict):
    """One operation for the profile files: the env block (and claude-ollama's when
    enabled) where the shell reads them, and neither anywhere else. The install scripts'
    blocks are replaced by ours where they are (or removed); the operation's name says so."""
    files, former = {}, False
    for name in PROFILES:
        ours = name in targets
        files[paths[name]] = blocks = [
            profile.Block(ENV_START, ENV_END, render.profile_env_block() if ours else None,
                          (SEED_ENV,)),
            profile.Block(CLAUDE_START, CLAUDE_END,
                          render.claude_ollama_block() if ours and claude else None,
                          (SEED_CLAUDE,)),
        ]
        current = seen[f"profile{name}"]
        former = former or profile.holds_former(current and current["content"], blocks)
    suffix = (TAKE_OVER if targets else REMOVE_FORMER) if former else ""
    profile.shell_profiles(name=SHELL_PROFILES + suffix, files=files)


def _seed_uninstaller_absent(paths: Paths) -> None:
    owned_files.former_file_absent(
        name="Remove the install scripts' ~/.ai-client/uninstall.sh (it would undo this deploy)",
        path=paths[SEED_UNINSTALLER],
        sign=SEED_UNINSTALLER_SIGN,
    )


def _claude_code(settings, url, platform, paths: Paths, ollama: str | None, seen: dict):
    version = settings.claude_code_version
    # issue 15: beside the old version, checked, then switched (operations/client_upgrade.py)
    alias = render.claude_ollama_script(settings, url, _binary(settings, paths))
    previous = client_upgrade.installed_version(seen["claude_link"], paths.claude_root)
    client_upgrade.claude_code_checked(
        name=f"Install Claude Code {version}",
        version=version,
        url=claude_code.tarball_url(
            settings.claude_code_registry, platform.system, platform.arch, version
        ),
        metadata=claude_code.metadata_url(
            settings.claude_code_registry, platform.system, platform.arch
        ),
        root=paths.claude_root,
        alias=alias if previous else None,  # a first install has no old version to keep
        previous=previous,
        base_url=url,
        batch=settings.client_rollout_batch,
        max_failures=settings.client_rollout_max_failures,
        allow_broken=settings.allow_incompatible_versions,
    )
    claude_code.command_link(
        name="Link ~/.local/bin/claude",
        link=paths.claude_link,
        target=_binary(settings, paths),
        owned_prefix=paths.claude_root + "/",
    )
    json_settings.json_merged(
        name="Disable Claude Code's auto-updater",
        path=paths.claude_settings,
        values=AUTOUPDATER_OFF,
    )
    files.file_content(
        name="Write the claude-ollama function",
        path=paths.claude_script,
        content=render.claude_ollama_script(settings, url, _binary(settings, paths)),
        mode="644",
    )
    client_upgrade.versions_pruned(name="Remove other Claude Code versions", version=version,
                                   root=paths.claude_root)  # issue 15: after the switch
    version_lock.version_lock(
        name="Write the version lock",
        path=paths.lock,
        claude_code=version,
        ollama=ollama,
        base_url=url,
        allow_broken=settings.allow_incompatible_versions,
    )


def _claude_code_absent(paths: Paths, seen: dict) -> None:
    """Our binary, link and auto-updater setting go; a cloud `claude` stays."""
    claude_code.command_link_absent(
        name="Remove our ~/.local/bin/claude link",
        link=paths.claude_link,
        owned_prefix=paths.claude_root + "/",
    )
    if seen["claude_versions"] is not None:  # ours was installed: take our setting back out
        json_settings.json_unmerged(
            name="Re-enable Claude Code's auto-updater",
            path=paths.claude_settings,
            values=AUTOUPDATER_OFF,
        )
    files.our_folder_absent(name="Remove Claude Code (ours)", path=paths.claude_root)
    files.file_absent(name="Remove the claude-ollama function", path=paths.claude_script)


def _uninstall(paths: Paths, seen: dict) -> None:
    """Remove what the client deploy wrote; keep (and say so) what UNINSTALL_KEPT lists."""
    for installer in INSTALLERS:
        aider.aider_absent(
            name=f"Remove Aider installed with {installer}",
            installer=installer,
            tool=seen[installer],
        )
    claude_code.command_link_absent(name="Remove our ~/.local/bin/aider link",
                                    link=paths.aider_link, owned_prefix=paths.aider_root + "/")
    files.our_folder_absent(name="Remove Aider (ours)", path=paths.aider_root)
    files.file_absent(name="Remove ~/.ai-client/env", path=paths.env)
    files.file_absent(name="Remove the version lock", path=paths.lock)
    owned_files.owned_files_absent(
        name="Remove Aider's files (~/.aider.conf.yml, .aider.model.*)",
        files=[{"path": paths[name], "header": header} for name, header in AIDER_FILES.items()],
    )
    _profiles(paths, [], False, seen)
    _seed_uninstaller_absent(paths)
    _claude_code_absent(paths, seen)
    files.file_absent(name="Remove the shipped contract check",
                      path=tool_paths(paths.home)["contract"])
    state = rollback.state_paths(paths.home)["client_converge"]
    files.file_absent(name="Remove the record of the last converge", path=state)
    owned_files.directory_absent_if_empty(  # the server's records, on a server too, stay
        name="Remove ~/.local/state/remote-ollama",
        path=state.rsplit("/", 1)[0],
        ignoring=[state.rsplit("/", 1)[1]],
    )
    owned_files.directory_absent_if_empty(
        name="Remove ~/.ai-client",
        path=paths.client_dir,
        ignoring=["env", ".version-lock", "claude-ollama.sh"]
        + (["uninstall.sh"] if _is_seed_uninstaller(seen["seed_uninstaller"]) else []),
    )
    logger.info(UNINSTALL_KEPT.format(host=host.name))


# What client uninstall leaves, each checked against the code: Homebrew and its formulae
# (_installer, _aider_python install uv/pipx/python@3.x with brew; nothing removes them),
# Tailscale (never installed or changed here), uv and pipx (on Linux our own venvs under
# ~/.local/share/remote-ollama with links in ~/.local/bin: only claude-code there is
# removed), the Pythons uv fetched for Aider (``uv tool uninstall`` keeps them), and
# ~/.claude (json_unmerged takes out only our autoUpdates key; the folder goes only when
# that left it empty) and ~/.claude.json, Claude Code's own.
UNINSTALL_KEPT = (
    "{host}: kept Homebrew and what the deploy installed with it (uv or pipx, python@3.x), "
    "Tailscale, uv and pipx (on Linux their venvs in ~/.local/share/remote-ollama and links "
    "in ~/.local/bin), the Pythons uv installed for Aider, and ~/.claude and ~/.claude.json "
    "(Claude Code's own settings and sessions; only our auto-updater setting was taken out); "
    "remove them by hand if you want them gone."
)


def _is_seed_uninstaller(current: dict | None) -> bool:
    return current is not None and SEED_UNINSTALLER_SIGN in current["content"]
