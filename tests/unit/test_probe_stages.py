"""A probe's ``SLOW`` sections run alongside the rest, each in a pipeline stage of its own
(``probe.probe_script``), shown in a real ``sh`` (dash) and ``bash --posix`` (macOS's
``/bin/sh``): the stages start at once, no section reads another's output, every section
arrives whole and once, the first line is still the probe's own begin marker, and output
larger than a pipe holds neither hangs nor is lost."""

from __future__ import annotations

import subprocess

import pytest

from remote_ollama import probe
from remote_ollama.facts.client import ServerReachability
from remote_ollama.facts.launchd import OllamaJobs
from remote_ollama.facts.ollama import OllamaApi, OllamaApiOnTailnet, PortListeners
from remote_ollama.facts.power import PmsetSettings
from remote_ollama.facts.system import Architecture, UserIdentity
from remote_ollama.facts.tailscale import TailscaleStatus
from tests.unit.test_probe_shared_shell import SHELLS, fact_of


def run(requests: dict, shell: list[str], **env) -> bytes:
    script = probe.probe_script(requests, nonce="n0")
    return subprocess.run([*shell, script], capture_output=True, check=True, timeout=60,
                          env=env or None).stdout  # fmt: skip


def sections(requests: dict, shell: list[str]) -> dict:
    return probe.Probe().process(run(requests, shell).decode().split("\n"))


def test_the_facts_that_wait_on_others_are_the_slow_ones():
    slow = {OllamaJobs, PortListeners, OllamaApi, OllamaApiOnTailnet, PmsetSettings,
            TailscaleStatus, ServerReachability}  # fmt: skip
    assert all(cls.SLOW for cls in slow)
    assert not UserIdentity.SLOW and not Architecture.SLOW


def test_without_slow_sections_the_script_is_one_group():
    script = probe.probe_script({"a": (fact_of("echo a"), {}), "b": (fact_of("echo b"), {})})
    assert script.startswith("{ echo '" + probe.BEGIN) and script.endswith(f"; }} | {probe.ENCODE}")
    assert "</dev/null" not in script and "cat; }" not in script


def test_each_slow_section_is_a_stage_and_the_rest_is_the_last():
    requests = {"s1": (fact_of("echo 1", slow=True), {}), "r": (fact_of("echo r"), {}),
                "s2": (fact_of("echo 2", slow=True), {})}  # fmt: skip
    script = probe.probe_script(requests, nonce="n0")
    stages = script.removesuffix(f" | {probe.ENCODE}").split(" | ")
    assert len(stages) == 3
    assert stages[0].startswith("{ echo '" + probe.BEGIN + " s1'") and stages[0].endswith(
        "</dev/null")
    assert "s2'" in stages[1] and stages[1].endswith("; } </dev/null; cat; }")
    assert "r'" in stages[2] and stages[2].endswith("; } </dev/null; cat; }")


@pytest.mark.parametrize("shell", SHELLS)
def test_the_stages_start_at_once(shell, tmp_path):
    """A slow section that waits for a file the last stage writes sees it: one after the
    other, it would have given up first (it waits 10 s at most, then says so)."""
    flag = tmp_path / "rest-ran"
    wait = (f"i=0; while [ ! -e {flag} ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; "
            f"[ -e {flag} ] && echo saw-it || echo gave-up")
    found = sections({"waits": (fact_of(wait, slow=True), {}),
                      "rest": (fact_of(f": > {flag}; echo wrote"), {})}, shell)  # fmt: skip
    assert found == {"waits": (0, ["saw-it"]), "rest": (0, ["wrote"])}


@pytest.mark.parametrize("shell", SHELLS)
def test_no_section_reads_another_sections_output(shell):
    """A command that reads stdin (``cat`` without a file) gets nothing, in any stage."""
    found = sections({"s1": (fact_of("echo one", slow=True), {}),
                      "reads_slow": (fact_of("cat; echo done", slow=True), {}),
                      "reads_rest": (fact_of("cat; echo done"), {})}, shell)  # fmt: skip
    assert found == {"s1": (0, ["one"]), "reads_slow": (0, ["done"]),
                     "reads_rest": (0, ["done"])}  # fmt: skip


@pytest.mark.parametrize("shell", SHELLS)
def test_the_first_line_is_the_last_stages_first_marker(shell):
    """split_text takes the nonce from the first begin marker: it must be one the script
    printed before any command ran, even when a slow stage finishes first."""
    text = probe.unfold_text([run({"quick": (fact_of("echo q", slow=True), {}),
                                   "rest": (fact_of("sleep 0.2; echo r"), {})}, shell).decode()])
    assert text.split("\n", 1)[0] == f"{probe.BEGIN} rest n0"


@pytest.mark.parametrize("shell", SHELLS)
def test_more_than_a_pipe_holds_in_every_stage_arrives_whole(shell):
    big = ('i=0; while [ $i -lt 3000 ]; do echo "line $i of a long answer from {}"; '
           "i=$((i+1)); done")
    requests = {"a": (fact_of(big.format("a"), slow=True), {}),
                "b": (fact_of(big.format("b"), slow=True), {}),
                "rest": (fact_of(big.format("rest")), {})}  # fmt: skip
    found = sections(requests, shell)
    for name in requests:
        code, lines = found[name]
        assert code == 0 and len(lines) == 3000, name
        assert lines[0] == f"line 0 of a long answer from {name}"
        assert lines[-1] == f"line 2999 of a long answer from {name}"


@pytest.mark.parametrize("shell", SHELLS)
def test_a_slow_section_may_change_its_shell_without_touching_the_others(shell, tmp_path):
    requests = {"moves": (fact_of("cd /; set -f; IFS=:; echo moved", slow=True), {}),
                "after": (fact_of('pwd; case "$IFS" in :) echo colon;; *) echo own;; esac; '
                                  "echo /*"), {})}  # fmt: skip
    out = subprocess.run([*shell, probe.probe_script(requests)], capture_output=True,
                         check=True, timeout=60, cwd=tmp_path).stdout  # fmt: skip
    found = probe.Probe().process(out.decode().split("\n"))
    assert found["moves"] == (0, ["moved"])
    assert found["after"][0] == 0 and found["after"][1][:2] == [str(tmp_path), "own"]
    assert found["after"][1][2] != "/*"  # globbing still on: no `set -f` leaked
