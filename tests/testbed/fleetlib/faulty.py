"""TEST-ONLY broken releases, for the client upgrade e2e (issue 15): a pin change to one
of them must fail its check and leave the old version in use.

Built from code, no download, into the mirror's ``test-only/``:

- ``npm/@anthropic-ai/claude-code-linux-x64``: the registry document for Claude Code
  ``CLAUDE_VERSION`` alone, with the sha512 (``dist.integrity``, SRI ``sha512-<base64>``
  as npm writes it) of its tarball, so the download and the digest check pass; the
  tarball's ``package/claude`` is a script that answers ``--version`` with the old
  version (``2.1.332 (Claude Code)``, real Claude Code's format, docs/clients.md).
- ``wheels/aider_chat-AIDER_VERSION-py3-none-any.whl``: a wheel named aider-chat whose
  ``aider`` console script points at a module the wheel does not ship (a broken release):
  ``aider --version`` dies with Python's ``ModuleNotFoundError``. No dependencies, so a
  ``--no-index --find-links`` install from this folder alone succeeds.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
import zipfile
from pathlib import Path

CLAUDE_VERSION = "2.1.333"
CLAUDE_SAYS = "2.1.332 (Claude Code)"  # the build inside reports another version
AIDER_VERSION = "0.86.3"
CLAUDE_SCRIPT = f"""#!/bin/sh
# TEST-ONLY: a Claude Code {CLAUDE_VERSION} package whose binary reports another version.
echo '{CLAUDE_SAYS}'
"""
RECIPE = "faulty-1\n" + CLAUDE_SCRIPT + AIDER_VERSION  # the cache key's input


def _tar_member(archive: tarfile.TarFile, name: str, data: bytes, mode: int) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), mode, 0
    archive.addfile(info, io.BytesIO(data))


def claude_tarball() -> bytes:
    """``npm pack``'s layout: everything under ``package/``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        manifest = {"name": "@anthropic-ai/claude-code-linux-x64", "version": CLAUDE_VERSION,
                    "description": "TEST-ONLY broken build (tests/testbed/fleetlib/faulty.py)"}
        _tar_member(archive, "package/package.json", json.dumps(manifest).encode(), 0o644)
        _tar_member(archive, "package/claude", CLAUDE_SCRIPT.encode(), 0o755)
    return buffer.getvalue()


def aider_wheel() -> bytes:
    """A PEP 427 wheel: dist-info with METADATA, WHEEL, entry_points.txt and RECORD."""
    info = f"aider_chat-{AIDER_VERSION}.dist-info"
    files = {
        f"{info}/METADATA": (f"Metadata-Version: 2.1\nName: aider-chat\nVersion: "
                             f"{AIDER_VERSION}\nSummary: TEST-ONLY broken release "
                             "(tests/testbed/fleetlib/faulty.py)\n"),
        f"{info}/WHEEL": ("Wheel-Version: 1.0\nGenerator: remote-ollama-testbed\n"
                          "Root-Is-Purelib: true\nTag: py3-none-any\n"),
        f"{info}/entry_points.txt": "[console_scripts]\naider = aider.main:main\n",
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{name},sha256={digest.decode()},{len(text.encode())}")
    files[f"{info}/RECORD"] = "\n".join([*record, f"{info}/RECORD,,"]) + "\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, text in files.items():
            wheel.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), text)
    return buffer.getvalue()


def build(out: Path, registry_url: str, package: str) -> None:
    tarball = claude_tarball()
    unscoped = package.split("/")[1]
    name = f"{unscoped}-{CLAUDE_VERSION}.tgz"
    folder = out / "npm" / package
    (folder / "-").mkdir(parents=True)
    (folder / "-" / name).write_bytes(tarball)
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()
    document = {
        "_id": package, "name": package, "dist-tags": {"latest": CLAUDE_VERSION},
        "versions": {CLAUDE_VERSION: {
            "name": package, "version": CLAUDE_VERSION, "os": ["linux"], "cpu": ["x64"],
            "dist": {"integrity": integrity, "shasum": hashlib.sha1(tarball).hexdigest(),
                     "tarball": f"{registry_url}/{package}/-/{name}"}}},
    }
    (folder / "index.json").write_text(json.dumps(document, indent=1) + "\n")
    wheels = out / "wheels"
    wheels.mkdir()
    (wheels / f"aider_chat-{AIDER_VERSION}-py3-none-any.whl").write_bytes(aider_wheel())
