"""FileDigest's command finds a sha256 tool the way a Mac and a Debian host have them.

macOS has no ``sha256sum``, and its ``shasum`` is a Perl script (a Perl start on every
probe): ``openssl dgst -sha256 -r`` comes before it. Each case runs the fact's command in
``sh`` with a PATH holding only the tools that host has (the system's own, linked), and
stand-ins where a case needs a tool to be missing an option or to tell that it ran.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from remote_ollama.facts.files import FileDigest

# An openssl that does not know -r. Only its exit status counts (the command drops its
# stderr); the message is illustrative, not a recorded one.
OLD_OPENSSL = '#!/bin/sh\necho "dgst: unknown option -r" >&2\nexit 1\n'


def tools(folder: Path, names: list[str], stand_ins: dict[str, str]) -> str:
    folder.mkdir()
    for name in names:
        found = shutil.which(name)
        assert found, name
        (folder / name).symlink_to(found)
    for name, script in stand_ins.items():
        (folder / name).write_text(script)
        (folder / name).chmod(0o755)
    return str(folder)


@pytest.mark.parametrize("host, names, stand_ins, used", [
    ("macOS", ["stat", "openssl", "shasum"], {}, "openssl"),
    ("macOS, an openssl without -r", ["stat", "shasum"], {"openssl": OLD_OPENSSL}, "shasum"),
    ("Debian", ["stat", "sha256sum", "openssl", "shasum"], {}, "sha256sum"),
])  # fmt: skip
def test_the_digest_comes_from_the_first_tool_that_has_it(tmp_path, host, names, stand_ins,
                                                           used):  # fmt: skip
    target = tmp_path / "home dir" / "contract.py"
    target.parent.mkdir()
    target.write_bytes(b"print('contract')\n")
    target.chmod(0o644)
    ran = tmp_path / "ran"
    # each real tool is wrapped so the test sees which one answered
    wrapped = {name: f'#!/bin/sh\necho {name} >> "{ran}"\nexec "{shutil.which(name)}" "$@"\n'
               for name in names if name != "stat"}  # fmt: skip
    path = tools(tmp_path / "bin", ["stat"], {**wrapped, **stand_ins})
    fact = FileDigest()
    done = subprocess.run(["/bin/sh", "-c", fact.command(path=str(target))],
                          env={"PATH": path}, capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0
    assert fact.process(done.stdout.splitlines()) == {
        "mode": "644", "sha256": hashlib.sha256(target.read_bytes()).hexdigest()}
    assert ran.read_text().split()[-1] == used
