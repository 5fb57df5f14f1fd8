"""Every fact, read both ways: in the probe's batch and alone by pyinfra's ``host.get_fact``.

Recorded outputs live in ``tests/facts/<module>.<Fact>/<case>.json`` (pyinfra's own layout):
``{"source": where the format comes from, "kwargs": the fact's arguments, "output": the
lines the fact's command prints, "fact": the value}``. Each fixture is run through

- the probe: one section of a probe's output, encoded as a host sends it, split back and
  parsed (``probe.host_output`` -> ``Probe.process`` -> ``parse_section``);
- pyinfra's own ``get_fact`` on a ``@fake`` host that prints those lines.

Both must give the fixture's value, and the host must not be failed. The exit-status side
of the contract (``remote_ollama.facts.base``) is checked in a real ``sh``: each fact's
command, with every program it may call replaced by one that fails, exits 0; and
``host.get_fact(MacSystem)`` on an Intel Mac's ``sysctl`` (``@local``) reports x86_64.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import re
import subprocess
import typing
from pathlib import Path

import pytest
from pyinfra.api import Config, Inventory, State
from pyinfra.api.connect import connect_all
from pyinfra.api.state import StateStage
from pyinfra.context import ctx_host, ctx_inventory, ctx_state

from remote_ollama import facts as facts_package
from remote_ollama import probe
from remote_ollama.facts.base import ProbeFact

FACTS = Path(__file__).resolve().parents[1] / "facts"
MODULES = sorted(m.name for m in pkgutil.iter_modules(facts_package.__path__) if m.name != "base")


def fact_classes() -> dict[str, type[ProbeFact]]:
    """``{"system.MacSystem": MacSystem, ...}``: every fact the package defines."""
    found = {}
    for module in MODULES:
        mod = importlib.import_module(f"remote_ollama.facts.{module}")
        for name, value in vars(mod).items():
            if isinstance(value, type) and issubclass(value, ProbeFact) and \
                    value.__module__ == mod.__name__:  # fmt: skip
                found[f"{module}.{name}"] = value
    return found


FIXTURES = sorted(FACTS.glob("*/*.json"))


def test_every_fact_has_a_fixture_folder_and_every_folder_a_fact():
    folders = {path.name for path in FACTS.iterdir() if path.is_dir()}
    assert folders == set(fact_classes())


def test_every_fixture_names_its_source():
    for path in FIXTURES:
        assert json.loads(path.read_text())["source"].strip(), path


def _load(path: Path):
    doc = json.loads(path.read_text())
    return fact_classes()[path.parent.name], doc


def _probe_path(cls, doc):
    wire = probe.host_output({"s": (0, doc["output"])}, nonce="n")
    code, lines = probe.Probe().process(wire)["s"]
    return probe.parse_section(cls, code, lines)


@pytest.fixture(scope="module")
def fake_state():
    inventory = Inventory((["@fake/h"], {"fake_delay": 0}))
    state = State(check_for_changes=False)
    state.init(inventory, Config())
    with ctx_state.use(state), ctx_inventory.use(inventory):
        state.set_stage(StateStage.Connect)
        connect_all(state)
        state.set_stage(StateStage.Prepare)
        yield state


def _get_fact_path(state, cls, doc, output=None, success=True):
    host = state.inventory.get_host("@fake/h")
    host.connector.data["fake_responses"] = {re.compile(".*"): {  # every command: these lines
        "stdout": doc["output"] if output is None else output, "success": success}}
    with ctx_host.use(host):
        value = host.get_fact(cls, **doc["kwargs"])
    return value, host in state.failed_hosts


def _json(value):
    return json.loads(json.dumps(value))  # tuples as lists, as the fixture holds them


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fixture_reads_the_same_in_the_probe_and_in_get_fact(path, fake_state):
    cls, doc = _load(path)
    assert _json(_probe_path(cls, doc)) == doc["fact"]
    value, failed = _get_fact_path(fake_state, cls, doc)
    assert not failed
    assert _json(value) == doc["fact"]


@pytest.mark.parametrize("name", sorted(fact_classes()))
def test_no_output_reads_as_default_on_both_paths(name, fake_state):
    """A fact whose command could not run prints nothing: both paths give ``default()``."""
    cls = fact_classes()[name]
    kwargs = _kwargs_of(name)
    doc = {"output": [], "kwargs": kwargs}
    assert _probe_path(cls, doc) == cls().default()
    value, failed = _get_fact_path(fake_state, cls, doc)
    assert (value, failed) == (cls().default(), False)
    assert probe.parse_section(cls, 1, ["junk"]) == cls().default()  # a section that did not run


def _kwargs_of(name: str) -> dict:
    return json.loads(next((FACTS / name).glob("*.json")).read_text())["kwargs"]


# Every external program a fact's command may start; each stand-in fails loudly.
PROGRAMS = ["awk", "base64", "cat", "curl", "dscl", "getent", "grep", "head", "id", "launchctl",
            "lsof", "od", "pgrep", "pmset", "ps", "readlink", "sha256sum", "shasum", "sort",
            "stat", "sudo", "sw_vers", "sysctl", "tailscale", "tr", "uname"]


def _stand_in(directory: Path, name: str, body: str) -> None:
    path = directory / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


@pytest.mark.parametrize("name", sorted(fact_classes()))
def test_command_exits_0_when_every_program_fails(name, tmp_path):
    """The contract's first rule, in a real ``sh``: whatever the programs say, the fact's
    command exits 0 (pyinfra would fail the host otherwise)."""
    cls = fact_classes()[name]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for program in PROGRAMS:
        _stand_in(bin_dir, program, f'echo "{program}: failed" >&2; exit 1')
    command = cls().command(**_kwargs_of(name))
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path)}
    done = subprocess.run(["/bin/sh", "-c", command], env=env, capture_output=True, timeout=30)
    assert done.returncode == 0, (command, done.stderr)


INTEL_SYSCTL = """\
for n in "$@"; do case $n in
  hw.memsize) echo "hw.memsize: 17179869184";;
  kern.osproductversion) echo "kern.osproductversion: 13.6.1";;
  *) bad=1; echo "third level name ${n##*.} in $n is invalid" >&2;;
esac; done
exit ${bad:-0}"""  # Apple's sysctl.c: exit(invalid_name_used ? 1 : 0)


def test_mac_system_via_get_fact_on_an_intel_mac_reports_x86_64(tmp_path, monkeypatch):
    """The latent bug: ``host.get_fact(MacSystem)`` (the fallback of ``probe.fact``) on an
    Intel Mac, whose ``sysctl`` exits 1 for ``hw.optional.arm64``. It failed the host."""
    from remote_ollama.facts.system import MacSystem

    _stand_in(tmp_path, "sysctl", INTEL_SYSCTL)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    inventory = Inventory((["@local"], {}))
    state = State(check_for_changes=False)
    state.init(inventory, Config())
    with ctx_state.use(state), ctx_inventory.use(inventory):
        state.set_stage(StateStage.Connect)
        connect_all(state)
        state.set_stage(StateStage.Prepare)
        host = inventory.get_host("@local")
        with ctx_host.use(host):
            value = host.get_fact(MacSystem)
        assert host not in state.failed_hosts
    assert value == {"version": "13.6.1", "arch": "x86_64", "memsize": 17179869184}


@pytest.mark.parametrize("name", sorted(fact_classes()))
def test_every_fact_declares_its_value_type(name):
    """``ProbeFact[T]`` (pyinfra's ``FactBase[T]``): T says what ``process`` returns."""
    cls = fact_classes()[name]
    bases = [b for b in getattr(cls, "__orig_bases__", ()) if typing.get_origin(b) is ProbeFact]
    assert bases and typing.get_args(bases[0]), f"{name}: subclass ProbeFact[<value type>]"
