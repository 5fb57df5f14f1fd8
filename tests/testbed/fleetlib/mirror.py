"""The local mirror's content, built once and cached by its inputs under the state dir.

  mirror/wheels/  flat wheelhouse (find-links) for aider-chat, uv and pipx on Python 3.11
  mirror/npm/     Claude Code's native package, laid out like the npm registry
  mirror/ollama/  v<ver>/ollama-darwin.tgz archives holding the Ollama stand-in
  mirror/homebrew/install.sh  the Homebrew installer stand-in (bare-Mac profile, issue 16)
  mirror/tailscale-apt/  a signed apt repository with the tailscale stand-ins (apt_repo.py)
  mirror/test-only/  TEST-ONLY broken releases for the upgrade e2e (issue 15, faulty.py):
                     npm/ (Claude Code 2.1.333) and wheels/ (aider-chat 0.86.3)

Each part is built into `<state>/<part>-<hash of inputs>` and linked into mirror/,
so changing an input builds a new part and a second `up` downloads nothing.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
import tempfile
from pathlib import Path

from . import apt_repo, faulty
from .layout import MIRROR_URL
from .shell import run, say

WHEEL_REQUIREMENTS = ["aider-chat==0.86.2", "uv==0.13.9", "pipx==1.17.10"]
WHEEL_PYTHON = "3.11"
NPM_PACKAGE = "@anthropic-ai/claude-code-linux-x64"
NPM_VERSION = "2.1.332"
NPM_REGISTRY_URL = f"{MIRROR_URL}/npm"
OLLAMA_VERSIONS = ["0.13.5", "0.14.2", "0.15.0"]
OLLAMA_FILES = ["ollama", "ollama_standin.py"]
OLLAMA_URL_TEMPLATE = f"{MIRROR_URL}/ollama/v{{version}}/ollama-darwin.tgz"
DONE = ".complete"


def _key(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


def _publish(mirror: Path, name: str, built: Path) -> None:
    link = mirror / name
    if link.is_symlink() or link.exists():
        if link.is_symlink() and link.resolve() == built.resolve():
            return
        link.unlink() if link.is_symlink() else shutil.rmtree(link)
    link.symlink_to(built)


def _build_once(state: Path, name: str, key: str, build) -> Path:
    """Run build(tmp_dir) unless `<state>/<name>-<key>` is complete; return that dir."""
    final = state / f"{name}-{key}"
    if (final / DONE).exists():
        return final
    partial = state / f"{name}-{key}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    build(partial)
    (partial / DONE).write_text(key + "\n")
    shutil.rmtree(final, ignore_errors=True)
    partial.rename(final)
    return final


def find_python311() -> str:
    for candidate in ("/usr/bin/python3.11", "python3.11"):
        if shutil.which(candidate) and run([candidate, "-m", "pip", "--version"],
                                           check=False).returncode == 0:  # fmt: skip
            return candidate
    raise RuntimeError("building the wheelhouse needs python3.11 with pip "
                       "(tests/testbed/prepare-host.sh installs python3-pip)")  # fmt: skip


def build_wheels(out: Path) -> None:
    python = find_python311()
    say(f"building the wheelhouse ({', '.join(WHEEL_REQUIREMENTS)}) with {python}")
    # One resolve per tool, as each is installed on its own on the clients.
    for requirement in WHEEL_REQUIREMENTS:
        run([python, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",
             "--wheel-dir", str(out), requirement])  # fmt: skip


def build_npm(out: Path) -> None:
    """`npm pack` the native package and write the registry's metadata document for it."""
    say(f"fetching {NPM_PACKAGE}@{NPM_VERSION} with npm pack")
    spec = f"{NPM_PACKAGE}@{NPM_VERSION}"
    with tempfile.TemporaryDirectory() as tmp:
        packed = json.loads(run(["npm", "pack", "--json", spec], cwd=tmp).stdout)[0]
        manifest = json.loads(run(["npm", "view", "--json", spec]).stdout)
        unscoped = NPM_PACKAGE.split("/")[1]
        tarball_name = f"{unscoped}-{NPM_VERSION}.tgz"
        pkg_dir = out / NPM_PACKAGE
        (pkg_dir / "-").mkdir(parents=True)
        shutil.move(Path(tmp) / packed["filename"], pkg_dir / "-" / tarball_name)
    keep = ("name", "version", "description", "os", "cpu", "libc", "license", "bin")
    version_doc = {k: manifest[k] for k in keep if k in manifest}
    version_doc["dist"] = {
        "integrity": packed["integrity"],
        "shasum": packed["shasum"],
        "tarball": f"{NPM_REGISTRY_URL}/{NPM_PACKAGE}/-/{tarball_name}",
    }
    packument = {"_id": NPM_PACKAGE, "name": NPM_PACKAGE, "dist-tags": {"latest": NPM_VERSION},
                 "versions": {NPM_VERSION: version_doc}}  # fmt: skip
    # The mirror server answers a directory holding index.json with that JSON document.
    (pkg_dir / "index.json").write_text(json.dumps(packument, indent=1) + "\n")


def _ollama_inputs(standins: Path) -> list[Path] | None:
    files = [standins / name for name in OLLAMA_FILES]
    return files if all(f.is_file() for f in files) else None


def build_ollama(files: list[Path], out: Path) -> None:
    for version in OLLAMA_VERSIONS:
        target = out / f"v{version}" / "ollama-darwin.tgz"
        target.parent.mkdir(parents=True)
        with tarfile.open(target, "w:gz") as archive:
            for path in files:
                info = archive.gettarinfo(str(path), arcname=path.name)
                info.uid = info.gid = 0
                info.uname = info.gname = "root"
                info.mode = 0o755
                with path.open("rb") as handle:
                    archive.addfile(info, handle)
            data = f"{version}\n".encode()
            info = tarfile.TarInfo("ollama.version")
            info.size, info.mode = len(data), 0o644
            archive.addfile(info, io.BytesIO(data))


def ensure_mirror(state: Path, standins: Path) -> Path:
    """Build what is missing and link it into <state>/mirror; return that served root."""
    mirror = state / "mirror"
    mirror.mkdir(parents=True, exist_ok=True)
    wheels = _build_once(state, "wheels", _key(WHEEL_PYTHON, *WHEEL_REQUIREMENTS), build_wheels)
    _publish(mirror, "wheels", wheels)
    npm = _build_once(state, "npm", _key(NPM_PACKAGE, NPM_VERSION, NPM_REGISTRY_URL), build_npm)
    _publish(mirror, "npm", npm)
    built = _build_once(state, "test-only", _key(faulty.RECIPE, MIRROR_URL),
                        lambda out: faulty.build(out, f"{MIRROR_URL}/test-only/npm", NPM_PACKAGE))
    _publish(mirror, "test-only", built)
    files = _ollama_inputs(standins)
    if files is None:
        say(f"notice: no Ollama stand-in in {standins}; skipping mirror/ollama archives")
    else:
        digest = _key(*OLLAMA_VERSIONS, *(hashlib.sha256(f.read_bytes()).hexdigest()
                                         for f in files))  # fmt: skip
        built = _build_once(state, "ollama", digest, lambda out: build_ollama(files, out))
        _publish(mirror, "ollama", built)
    installer = standins / "homebrew-install.sh"  # issue 16: the bare-Mac profile
    if installer.is_file():
        digest = _key(hashlib.sha256(installer.read_bytes()).hexdigest())
        built = _build_once(state, "homebrew", digest, lambda out: shutil.copy2(
            installer, out / "install.sh"))
        _publish(mirror, "homebrew", built)
    if apt_repo.missing_tools():
        say(f"notice: no {', '.join(apt_repo.missing_tools())}; skipping mirror/tailscale-apt")
    else:
        digest = _key(*(hashlib.sha256(f.read_bytes()).hexdigest()
                        for f in apt_repo.inputs(standins)))  # fmt: skip
        built = _build_once(state, "tailscale-apt", digest,
                            lambda out: apt_repo.build(standins, out))
        _publish(mirror, "tailscale-apt", built)
    return mirror
