"""A signed apt repository laid out like pkgs.tailscale.com/stable, for bare Debian clients
(issue 16). Test-only: the package holds the tailscale stand-ins, and the key is made here.

  mirror/tailscale-apt/debian/bookworm.noarmor.gpg       the signing key, binary
  mirror/tailscale-apt/debian/dists/bookworm/InRelease   Release, clear-signed
  mirror/tailscale-apt/debian/pool/...tailscale_<v>_all.deb
  mirror/tailscale-apt/fingerprint.txt                   the key's fingerprint, for tests

The layout and file names follow Tailscale's Debian instructions (`<codename>.noarmor.gpg`,
`deb [signed-by=...] https://pkgs.tailscale.com/stable/debian <codename> main`). The real
package's systemd unit starts tailscaled; the testbed has no systemd, so this package's
postinst starts the stand-in daemon itself.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

CODENAME = "bookworm"
VERSION = "1.76.6"
TOOLS = ("gpg", "dpkg-deb", "dpkg-scanpackages")
POSTINST = """#!/bin/sh
# Test-only: no systemd in the testbed; start tailscaled as the real unit would.
set -e
if [ "$1" = configure ]; then
    setsid /usr/sbin/tailscaled >/dev/null 2>&1 </dev/null &
fi
exit 0
"""


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if not shutil.which(tool)]


def inputs(standins: Path) -> list[Path]:
    return [standins / "tailscale", standins / "tailscaled", Path(__file__)]


def build(standins: Path, out: Path) -> None:
    repo = out / "debian"
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "GNUPGHOME": f"{tmp}/gnupg"}
        os.mkdir(env["GNUPGHOME"], 0o700)
        gpg = ["gpg", "--batch", "--quiet"]
        subprocess.run([*gpg, "--passphrase", "", "--quick-gen-key",
                        "remote-ollama testbed apt <testbed@example.invalid>", "ed25519", "sign",
                        "never"], check=True, env=env, capture_output=True)
        colons = subprocess.run([*gpg, "--with-colons", "--list-keys"], check=True, env=env,
                                capture_output=True, text=True).stdout
        fpr = next(line.split(":")[9] for line in colons.splitlines() if line.startswith("fpr:"))
        repo.mkdir(parents=True)
        key = subprocess.run([*gpg, "--export", fpr], check=True, env=env, capture_output=True)
        (repo / f"{CODENAME}.noarmor.gpg").write_bytes(key.stdout)
        (out / "fingerprint.txt").write_text(fpr + "\n")

        package = Path(tmp) / "pkg"
        (package / "DEBIAN").mkdir(parents=True)
        (package / "DEBIAN" / "control").write_text(
            f"Package: tailscale\nVersion: {VERSION}\nArchitecture: all\n"
            "Maintainer: remote-ollama testbed <testbed@example.invalid>\n"
            "Description: Tailscale stand-in (test-only)\n")
        (package / "DEBIAN" / "postinst").write_text(POSTINST)
        (package / "DEBIAN" / "postinst").chmod(0o755)
        for name, folder in (("tailscale", "usr/bin"), ("tailscaled", "usr/sbin")):
            (package / folder).mkdir(parents=True, exist_ok=True)
            shutil.copy2(standins / name, package / folder / name)
            (package / folder / name).chmod(0o755)
        pool = repo / "pool" / "main" / "t" / "tailscale"
        pool.mkdir(parents=True)
        subprocess.run(["dpkg-deb", "--root-owner-group", "--build", str(package),
                        str(pool / f"tailscale_{VERSION}_all.deb")], check=True,
                       capture_output=True)
        dist = repo / "dists" / CODENAME
        lists = {}
        for arch in ("amd64", "arm64"):
            packages = subprocess.run(["dpkg-scanpackages", "--multiversion", "pool"], cwd=repo,
                                      check=True, capture_output=True).stdout
            rel = f"main/binary-{arch}/Packages"
            (dist / rel).parent.mkdir(parents=True)
            (dist / rel).write_bytes(packages)
            lists[rel] = packages
        date = time.strftime("%a, %d %b %Y %H:%M:%S UTC", time.gmtime())
        release = ["Origin: Tailscale (testbed)", "Label: Tailscale", "Suite: stable",
                   f"Codename: {CODENAME}", f"Date: {date}", "Architectures: amd64 arm64",
                   "Components: main", "SHA256:"]
        release += [f" {hashlib.sha256(data).hexdigest()} {len(data)} {rel}"
                    for rel, data in lists.items()]
        (dist / "Release").write_text("\n".join(release) + "\n")
        subprocess.run([*gpg, "--local-user", fpr, "--clearsign", "--output",
                        str(dist / "InRelease"), str(dist / "Release")], check=True, env=env,
                       capture_output=True)
