"""bench/probe_cost.py's pure parts: a probe script split back into its sections, and the
bash variant that times each one (run here for real)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import probe_cost

from remote_ollama.facts.system import Architecture, LinuxRelease, UserIdentity
from remote_ollama.probe import ENCODE, probe_script

REQUESTS = {"identity": (UserIdentity, {}), "arch": (Architecture, {}),
            "linux": (LinuxRelease, {})}


@pytest.mark.parametrize("wire", [ENCODE, "od -An -v -tx1 | LC_ALL=C tr -d ' \\n'"])
def test_a_probe_script_splits_into_its_sections_with_either_wire(wire):
    script = probe_script(REQUESTS).replace(ENCODE, wire)
    inner, sections = probe_cost.split_probe(script)
    assert [name for name, _ in sections] == list(REQUESTS)
    assert inner.startswith("{ ") and inner.endswith("; }") and wire not in inner
    # the sections, joined again, are the script's own shell
    assert "; ".join(text for _, text in sections) == inner[2:-3]


@pytest.mark.skipif(not shutil.which("bash"), reason="needs bash ($EPOCHREALTIME)")
def test_the_timed_script_reports_every_section_once():
    _, sections = probe_cost.split_probe(probe_script(REQUESTS))
    err = subprocess.run(["bash", "-c", probe_cost.timed_script(sections)],
                         capture_output=True, text=True, check=True).stderr  # fmt: skip
    seconds = probe_cost.section_seconds(err)
    assert list(seconds) == list(REQUESTS)
    assert all(0 <= value < 10 for value in seconds.values())


def test_the_home_sections_group_opens_with_its_first_section(tmp_path):
    from remote_ollama.facts.files import PathExists

    requests = {**REQUESTS, "a": (PathExists, {"path": "~/a"}), "b": (PathExists, {"path": "~/b"})}
    script = probe_script(requests)
    _, sections = probe_cost.split_probe(script)
    named = dict(sections)
    assert list(named) == list(requests)
    assert named["a"].startswith(probe_cost.HOME_GROUP) and named["b"].endswith(" )")
    assert probe_cost.HOME_GROUP not in named["linux"]
    (tmp_path / "a").write_text("")
    done = subprocess.run(["sh", "-c", "; ".join(s for _, s in sections)], capture_output=True,
                          text=True, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0 and "yes" in done.stdout.split("\n")


def test_a_probe_with_slow_sections_splits_into_all_of_them_one_after_the_other():
    from remote_ollama.facts.power import PmsetSettings
    from remote_ollama.facts.tailscale import TailscaleStatus

    requests = {"pmset": (PmsetSettings, {}), **REQUESTS, "tailscale": (TailscaleStatus, {})}
    inner, sections = probe_cost.split_probe(probe_script(requests))
    assert inner.endswith(probe_cost.STAGE_END) and len(probe_cost.probe_groups(inner)) == 3
    assert sorted(name for name, _ in sections) == sorted(requests)
    done = subprocess.run(["sh", "-c", "; ".join(s for _, s in sections)], capture_output=True,
                          text=True, check=True)  # fmt: skip
    assert done.stdout.count("@@remote-ollama-probe-end") == len(requests)
