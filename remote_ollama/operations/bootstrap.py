"""Operations that take a bare host to one with Homebrew and a tailnet membership (issue 16).

Each reads ``BootstrapState`` from the deploy's probe and yields nothing when the host is
already right. Installer behaviours relied on here are from Homebrew/install's install.sh
(commit ca0130bd, 2026-07-24; line numbers are that file's):
- ``NONINTERACTIVE=1`` (or ``CI``, or a stdin that is not a TTY) never prompts (l.112-134);
  sudo is then called as ``sudo -n`` (l.245-246), so it needs passwordless sudo; on macOS
  it aborts "Need sudo access on macOS (e.g. the user ${USER} needs to be an
  Administrator)!" without it (l.261-263, l.527-530), and aborts "Don't run this as root!"
  as root (l.364).
- The Command Line Tools are installed headless through ``softwareupdate`` when
  ``/Library/Developer/CommandLineTools/usr/bin/git`` is missing (l.367-378, l.845-866);
  the GUI ``xcode-select --install`` fallback runs only with a TTY (l.869-877).
- ``/opt/homebrew`` on Apple Silicon (l.155-160), created and chowned to the user (group
  admin) through sudo (l.702-838).
Documented in Homebrew/install's README ("NONINTERACTIVE=1 ... without prompting for
passwords") and docs.brew.sh/Installation#unattended-installation.
"""

from __future__ import annotations

import shlex
from io import StringIO

from pyinfra import host
from pyinfra.api import FileUploadCommand

from remote_ollama.facts.bootstrap import STATE_FILE, BootstrapState
from remote_ollama.facts.homebrew import BREW_BIN
from remote_ollama.probe import fact
from remote_ollama.secrets import AuthKey
from remote_ollama.step import operation

# The auth key's stay on the host: a 0700 folder in the user's home, one 0600 file that the
# join command deletes whatever `tailscale up` answered.
KEY_DIR = ".cache/remote-ollama/secret"
KEY_FILE = f"{KEY_DIR}/tailscale-authkey"


@operation()
def homebrew_installed(url: str):
    """Run Homebrew's official installer, unattended, when ``/opt/homebrew/bin/brew`` is missing.

    + url: where to fetch install.sh (Homebrew/install, or a mirror of it)

    Needs passwordless sudo (the deploy checks ``sudo -n true`` first). The installer also
    installs the Command Line Tools when they are missing.

    Example:

    .. code:: python

        homebrew_installed(url="https://raw.githubusercontent.com/Homebrew/install/HEAD/install.sh")
    """
    if fact(BootstrapState)["brew"]:
        host.noop("Homebrew is installed")
        return
    yield (
        f'tmp=$(mktemp -d) && curl -q -fsSL --retry 3 {SMALL_DOWNLOAD} -o "$tmp/install.sh" '
        f"{shlex.quote(url)} && NONINTERACTIVE=1 /bin/bash \"$tmp/install.sh\" </dev/null; "
        'rc=$?; rm -f "$tmp/install.sh"; rmdir "$tmp"; exit $rc'
    )


@operation()
def tailscale_formula(start: bool):
    """Install Homebrew's ``tailscale`` formula (CLI + open-source ``tailscaled``).

    + start: also start tailscaled as a root LaunchDaemon (``sudo brew services start``)

    The formula's service runs ``opt/tailscale/bin/tailscaled`` with KeepAlive
    (homebrew-core Formula/t/tailscale.rb); under sudo, ``brew services`` installs it in
    /Library/LaunchDaemons, so it runs at boot with nobody logged in. Pass ``_sudo=True``
    for the start. Never used when Tailscale.app is installed.

    Example:

    .. code:: python

        tailscale_formula(start=False)
        tailscale_formula(start=True, _sudo=True)
    """
    seen = fact(BootstrapState)
    if start:
        if seen["state"] is None:
            yield f"{BREW_BIN} services start tailscale"
        else:
            host.noop("tailscaled is answering")
    elif seen["cli"] is None:
        yield f"{BREW_BIN} install --formula tailscale"
    else:
        host.noop("tailscale is installed")


@operation()
def auth_key_staged(key: AuthKey, home: str):
    """Put the auth key in a 0600 file in a 0700 folder of the user's home, for
    ``tailscale up --auth-key=file:PATH`` (the CLI reads and trims such a file:
    tailscale/tailscale cmd/tailscale/cli/up.go, resolveValueFromFile). The key travels
    in the upload (SFTP), never on a command line.

    + key: the key (``secrets.AuthKey``; it prints as "hidden")
    + home: the SSH user's home directory

    Example:

    .. code:: python

        auth_key_staged(key=read_auth_key("ai-server", "REMOTE_OLLAMA_TS_AUTHKEY", None),
                        home="/Users/admin")
    """
    path = f"{home}/{KEY_FILE}"
    yield f"umask 077 && mkdir -p {shlex.quote(home + '/' + KEY_DIR)} && chmod 700 {shlex.quote(home + '/' + KEY_DIR)}"
    yield FileUploadCommand(StringIO(key.reveal() + "\n"), path, remote_temp_filename=f"{path}.new")
    yield f"chmod 600 {shlex.quote(path)}"


def up_command(cli: str, tags: list[str], hostname: str | None, home: str) -> str:
    """``tailscale up`` with the key from the staged file; the file is removed after,
    whatever ``up`` answered, and a refusal ends with a sentence saying what to check."""
    key_file = shlex.quote(f"{home}/{KEY_FILE}")
    words = [cli, "up", f"--auth-key=file:{home}/{KEY_FILE}",
             f"--advertise-tags={','.join(tags)}", "--timeout=120s"]
    if hostname:
        words.append(f"--hostname={hostname}")
    hint = ("remote-ollama: tailscale up was refused (see above); nothing else was changed. "
            "Check that the auth key is valid, not expired or used up, and allowed to apply "
            f"{','.join(tags)} (tagOwners: run remote-ollama acl first).")
    # A tailscaled started a moment ago may not answer yet: wait for it (30 s at most).
    wait = (f"i=0; until {shlex.quote(cli)} status --json >/dev/null 2>&1 || [ $i -ge 30 ]; "
            "do sleep 1; i=$((i+1)); done; ")
    return (f"{wait}{shlex.join(words)}; rc=$?; rm -f {key_file}; "
            f"[ $rc -eq 0 ] || echo {shlex.quote(hint)} >&2; exit $rc")


@operation()
def tailnet_joined(cli: str, tags: list[str], hostname: str | None, args_hash: str, home: str):
    """Join the tailnet with the staged key unless the node is Running with ``tags`` and
    our state file holds ``args_hash`` (or holds nothing: a node joined by hand with the
    right tags is left alone).

    + cli: the tailscale CLI to run
    + tags: tags to advertise (the auth key must be allowed to apply them)
    + hostname: ``--hostname``, or None
    + args_hash: hash of the arguments that matter (see ``bootstrap.up_hash``)
    + home: the SSH user's home (where the key was staged)

    Pass ``_sudo=True`` for a root tailscaled (Homebrew formula, Debian package).

    Example:

    .. code:: python

        tailnet_joined(cli="/opt/homebrew/bin/tailscale", tags=["tag:ai-server"],
                       hostname=None, args_hash="9f2c...", home="/Users/admin",
                       _sudo=True)
    """
    if needs_up(fact(BootstrapState), tags, args_hash):
        yield up_command(cli, tags, hostname, home)
    else:
        host.noop("Tailscale is Running with its tags")


@operation()
def up_recorded(args_hash: str):
    """Write the hash of the last successful ``tailscale up``'s arguments (never the key).

    + args_hash: the hash to keep in ``~/.local/state/remote-ollama/tailscale-up``

    Example:

    .. code:: python

        up_recorded(args_hash="9f2c...")
    """
    if fact(BootstrapState)["joined"] == args_hash:
        host.noop("tailscale up arguments are recorded")
        return
    folder = STATE_FILE.rsplit("/", 1)[0]
    yield (f'mkdir -p "$HOME/{folder}" && printf \'%s\\n\' {shlex.quote(args_hash)} '
           f'> "$HOME/{STATE_FILE}"')


def needs_up(seen: dict, tags: list[str], args_hash: str) -> bool:
    """Re-run ``tailscale up`` only when not Running, when the tags differ, or when our
    recorded arguments differ; a missing record alone is no reason."""
    if seen["state"] != "Running" or seen["tags"] != sorted(tags):
        return True
    return seen["joined"] is not None and seen["joined"] != args_hash


# Homebrew's install.sh and Tailscale's apt key are tens of KB: bound each attempt.
SMALL_DOWNLOAD = "--max-time 120 --max-filesize 1048576"
APT_KEYRING = "/usr/share/keyrings/tailscale-archive-keyring.gpg"
APT_LIST = "/etc/apt/sources.list.d/tailscale.list"


# The v4 fingerprint of the first public key in a binary keyring (RFC 4880 s.12.2: SHA-1
# over 0x99, the two-byte body length and the public-key packet body), for hosts without
# gpg (a minimal Debian has gpgv, which apt uses, but no gpg to show a fingerprint).
FINGERPRINT_PY = r"""
import hashlib, sys
data = open(sys.argv[1], "rb").read()
tag = data[0]
if tag & 0x40:  # new format: tag in the low six bits
    kind, first = tag & 0x3F, data[1]
    if first < 192:
        size, start = first, 2
    elif first < 224:
        size, start = ((first - 192) << 8) + data[2] + 192, 3
    else:
        size, start = int.from_bytes(data[2:6], "big"), 6
else:  # old format: length type in the low two bits
    kind, width = (tag >> 2) & 0x0F, [1, 2, 4][tag & 3]
    size, start = int.from_bytes(data[1:1 + width], "big"), 1 + width
body = data[start:start + size]
if kind != 6 or body[:1] != b"\x04":
    sys.exit("not a v4 OpenPGP public key")
print(hashlib.sha1(b"\x99" + len(body).to_bytes(2, "big") + body).hexdigest().upper())
"""


def apt_install_script(url: str, distro: str, codename: str, fingerprint: str) -> str:
    """Tailscale's signed apt repository, its key trusted only with ``fingerprint``.

    Files as Tailscale's install instructions name them: ``<codename>.noarmor.gpg`` into
    /usr/share/keyrings/tailscale-archive-keyring.gpg, and a ``deb [signed-by=...]`` line
    for ``<url>/<distro> <codename> main``. The key's primary fingerprint (gpg's, or
    computed by ``FINGERPRINT_PY``) is compared before the key is installed; a mismatch
    stops here with both values. Only Tailscale's list is refreshed (``apt-get update``
    limited to it), so an unreachable distribution mirror cannot fail the install."""
    repo = f"{url.rstrip('/')}/{distro}"
    key_url = f"{repo}/{codename}.noarmor.gpg"
    deb = f"deb [signed-by={APT_KEYRING}] {repo} {codename} main"
    # the URL comes from settings: quoted, never inside double quotes
    at_key = shlex.quote(f"remote-ollama: the key at {key_url} has fingerprint ")
    not_wanted = shlex.quote(f", not {fingerprint} (tailscale_apt_key_fingerprint); nothing "
                             "was installed.")
    only_ours = (f"-o Dir::Etc::sourcelist={APT_LIST} -o Dir::Etc::sourceparts=- "
                 "-o APT::Get::List-Cleanup=0")
    return "; ".join([
        "set -e",
        "export DEBIAN_FRONTEND=noninteractive",
        'tmp=$(mktemp -d); trap \'rm -f "$tmp/key.gpg"; rmdir "$tmp"\' EXIT',
        f'curl -q -fsSL --retry 3 {SMALL_DOWNLOAD} -o "$tmp/key.gpg" {shlex.quote(key_url)} '
        f'|| {{ echo {shlex.quote(f"remote-ollama: could not download {key_url}")}" (curl exit '
        '$?); nothing was installed." >&2; exit 1; }',
        'if command -v gpg >/dev/null 2>&1; then fpr=$(gpg --show-keys --with-colons '
        '"$tmp/key.gpg" 2>/dev/null | awk -F: \'$1 == "fpr" {print $10; exit}\'); '
        f'else fpr=$(python3 -Es -c {shlex.quote(FINGERPRINT_PY)} "$tmp/key.gpg" || true); fi',
        f'[ "$fpr" = {shlex.quote(fingerprint)} ] || {{ echo {at_key}"${{fpr:-unknown}}"'
        f'{not_wanted} >&2; exit 1; }}',
        f'install -D -m 644 "$tmp/key.gpg" {APT_KEYRING}',
        f"echo {shlex.quote(deb)} > {APT_LIST}",
        f"apt-get update -qq {only_ours}",
        "apt-get install -y -qq tailscale",
    ])  # fmt: skip


@operation()
def tailscale_apt(url: str, distro: str, codename: str, fingerprint: str):
    """Install Tailscale from its signed apt repository on Debian/Ubuntu, when absent.

    + url: Tailscale's package site (``tailscale_apt_url``)
    + distro: ``debian`` or ``ubuntu`` (os-release ``ID``)
    + codename: os-release ``VERSION_CODENAME``, e.g. ``bookworm``
    + fingerprint: the signing key's fingerprint (``tailscale_apt_key_fingerprint``)

    The package's own scripts enable and start tailscaled. Pass ``_sudo=True``.

    Example:

    .. code:: python

        tailscale_apt(url="https://pkgs.tailscale.com/stable", distro="debian",
                      codename="bookworm",
                      fingerprint="2596A99EAAB33821893C0A79458CA832957F5868", _sudo=True)
    """
    if fact(BootstrapState)["cli"] is None:
        yield apt_install_script(url, distro, codename, fingerprint)
    else:
        host.noop("tailscale is installed")
