"""The client's CPU check on what a Mac's shell really reports, Rosetta included."""

from __future__ import annotations

import pytest
from pyinfra.api.exceptions import PyinfraError

from tests.plan.clients import fresh_debian_client, fresh_mac_client, stub
from tests.plan.harness import plan

SERVER = {"ollama_server_host": "ai-server"}


def plan_client(sections):
    return plan("client", clients={"c": stub(sections)}, data=SERVER)["c"]


def arch(uname: str, arm64: str = "", translated: str = "") -> tuple[int, list[str]]:
    """The Architecture section: uname -m, then sysctl's hw.optional.arm64 and
    sysctl.proc_translated (empty where sysctl does not know them: Intel Macs, Linux)."""
    return (0, [f"uname={uname}", f"arm64={arm64}", f"translated={translated}"])


def test_an_apple_silicon_mac_under_rosetta_is_apple_silicon():
    """uname -m says x86_64 in a Rosetta shell; sysctl still says arm64."""
    rosetta = plan_client(fresh_mac_client(arch=arch("x86_64", arm64="1", translated="1")))
    native = plan_client(fresh_mac_client(arch=arch("arm64", arm64="1", translated="0")))
    assert rosetta.changes and rosetta.ops == native.ops


def test_debian_on_arm_is_arm64():
    assert plan_client(fresh_debian_client(arch=arch("aarch64"))).changes


def test_an_intel_mac_is_refused():
    with pytest.raises(PyinfraError, match=r"CPU architecture is 'x86_64'.*Apple Silicon"):
        plan_client(fresh_mac_client(arch=arch("x86_64")))
