"""Downloads on a host are bounded in time and size and say why they failed (issue 13).

The shell of ``bounded_download``, and the Ollama and Claude Code install commands built on
it, run here in ``sh`` with the system's curl against the hostile server of
tests/hostile/server.py on loopback, and against ``file://`` URLs.
"""

from __future__ import annotations

import io
import re
import subprocess
import tarfile
import time

import pytest

from remote_ollama.facts.files import PathExists
from remote_ollama.facts.ollama import API_MAX_BYTES, OllamaApi
from remote_ollama.operations import claude_code, ollama
from remote_ollama.operations.bootstrap import SMALL_DOWNLOAD, apt_install_script
from remote_ollama.operations.download import MAX_BYTES, MAX_SECONDS, bounded_download
from tests.fixed_answer import serving
from tests.hostile.server import HostileServer
from tests.unit.ops import key, run_op

# Every command here runs under a file-size limit, so that a regression (an unbounded
# download against "huge body") fails its test instead of filling the disk.
FILE_LIMIT = "ulimit -f 16384; "  # 512-byte blocks: 8 MiB


def run(command: str, bound: float = 15) -> subprocess.CompletedProcess:
    started = time.monotonic()
    result = subprocess.run(["sh", "-c", FILE_LIMIT + command], capture_output=True, text=True,
                            timeout=bound)  # fmt: skip
    assert time.monotonic() - started < bound
    return result


@pytest.mark.parametrize("behaviour, why", [
    ("huge body", "is larger than 1 MiB"),  # 100 GB announced: curl exit 63
    # (an endless fast stream is not tried: a curl before 8.4 writes until the deadline, GBs
    # on loopback; its two bounds are tried apart: "slow trickle" and the file:// test)
    ("slow trickle", "took longer than 2 s"),
    ("silent", "took longer than 2 s"),
    ("bad status line", r"failed \(curl exit"),
])
def test_a_hostile_server_stops_the_download_with_one_clear_line(tmp_path, behaviour, why):
    partial = tmp_path / "x.partial"
    partial.mkdir()
    with HostileServer(behaviour, None) as server:
        url = server.url + "/ollama-darwin.tgz"
        result = run(bounded_download(url, str(partial / "a.tgz"), "Ollama 0.14.2",
                                      cleanup=f"rm -rf {partial}", max_bytes=2**20, seconds=2))
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1].startswith(f"Ollama 0.14.2: the download of {url} ")
    assert result.stderr.splitlines()[-1].endswith("; nothing was installed.")
    assert re.search(why, result.stderr), result.stderr
    assert not partial.exists()


def test_a_body_of_unknown_length_over_the_limit_is_refused_after_the_fact(tmp_path):
    # curl before 8.4 (and file://) cannot stop it while it comes: the size is checked after
    big = tmp_path / "big.tgz"
    big.write_bytes(b"x" * (2**20 + 1))
    result = run(bounded_download(f"file://{big}", str(tmp_path / "out"), "Claude Code",
                                  max_bytes=2**20))  # fmt: skip
    assert result.returncode == 1 and "is larger than 1 MiB" in result.stderr


def test_an_http_error_and_a_good_download(tmp_path):
    (tmp_path / "ok").write_bytes(b"archive")
    good = run(bounded_download(f"file://{tmp_path}/ok", str(tmp_path / "out"), "X")
               + " && echo done")  # it chains with &&
    assert good.returncode == 0 and good.stdout == "done\n"
    assert (tmp_path / "out").read_bytes() == b"archive"
    with serving(status=404) as base:
        missing = run(bounded_download(f"{base}/x.tgz", str(tmp_path / "out2"), "X"))
    assert missing.returncode == 1 and "got an HTTP error (curl exit 22)" in missing.stderr


def test_both_installers_download_with_the_bounds():
    bounds = f"--max-time {MAX_SECONDS} --max-filesize {MAX_BYTES} "
    assert bounds in claude_code.install_command("https://r/c.tgz", "ab" * 64, "/h/c/2.1.332")
    d = "/Users/a/.local/opt/ollama/0.14.2"
    out = run_op(ollama.release_installed, {key(PathExists, path=f"{d}/ollama"): False},
                 version="0.14.2", url="https://m/ollama-darwin.tgz", directory=d)
    assert bounds + "https://m/ollama-darwin.tgz" in out[0]


def test_the_ollama_install_unpacks_what_it_downloaded(tmp_path):
    archive = tmp_path / "ollama-darwin.tgz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("ollama")
        info.mode = 0o755
        data = b"#!/bin/sh\necho ollama\n"
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    d = str(tmp_path / "opt" / "0.14.2")
    out = run_op(ollama.release_installed, {key(PathExists, path=f"{d}/ollama"): False},
                 version="0.14.2", url=f"file://{archive}", directory=d)
    assert run(out[0]).returncode == 0
    assert sorted(p.name for p in (tmp_path / "opt" / "0.14.2").iterdir()) == ["ollama"]


@pytest.mark.parametrize("behaviour", ["huge body", "endless stream", "huge line"])
def test_the_probe_reads_at_most_a_bounded_answer(behaviour):
    with HostileServer(behaviour, None) as server:
        started = time.monotonic()
        # counted, not kept: a regression must not fill this process's memory
        result = subprocess.run(["sh", "-c", "{ " + OllamaApi().command(server.url) + "; } | wc -c"],
                                capture_output=True, text=True, timeout=15)  # fmt: skip
    assert time.monotonic() - started < 12
    assert int(result.stdout) <= API_MAX_BYTES


# --- the bootstrap's small downloads (Homebrew's install.sh, Tailscale's apt key) -------


def _apt_script_in(tmp_path, url: str) -> subprocess.CompletedProcess:
    """Run the apt install script up to the key check (a wrong fingerprint stops it)."""
    return subprocess.run(["/bin/sh", "-c", FILE_LIMIT + apt_install_script(
                               url, "debian", "bookworm", "0" * 40)],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)  # fmt: skip


@pytest.mark.parametrize("behaviour", ["huge body", "bad status line"])
def test_the_apt_key_download_is_bounded_and_says_why_it_failed(tmp_path, behaviour):
    with HostileServer(behaviour, None) as server:
        result = _apt_script_in(tmp_path, server.url)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1].startswith(
        f"remote-ollama: could not download {server.url}/debian/bookworm.noarmor.gpg (curl exit")
    assert SMALL_DOWNLOAD in apt_install_script("https://x", "debian", "bookworm", "0" * 40)


def test_a_url_from_settings_is_never_run_in_the_apt_scripts_messages(tmp_path):
    repo = tmp_path / "$(id>pwned)" / "debian"
    repo.mkdir(parents=True)
    (repo / "bookworm.noarmor.gpg").write_bytes(b"<html>not a key</html>")
    result = _apt_script_in(tmp_path, f"file://{tmp_path}/$(id>pwned)")
    assert result.returncode == 1 and "has fingerprint unknown, not 0000" in result.stderr
    assert "$(id>pwned)" in result.stderr
    assert not (tmp_path / "pwned").exists()
