"""Whole-inventory validation: one clean error listing every problem, and warnings for
keys and files pyinfra would silently ignore."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pyinfra.api.exceptions import PyinfraError

from remote_ollama.validation import (
    connection_key_warnings,
    ignored_group_data_files,
    invalid_settings,
)

REPO = Path(__file__).resolve().parents[2]
PYINFRA = str(Path(sys.executable).with_name("pyinfra"))


def test_the_cli_shows_one_clean_message_naming_host_key_value_and_allowed(tmp_path):
    # @local with --dry: validation stops the run before the probe, so nothing runs here.
    run = subprocess.run(
        [PYINFRA, "--dry", "-y", "@local", "deploys/client.py", "--data", "ollama_port=70000",
         "--data", "modles=x"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    output = run.stdout + run.stderr
    assert run.returncode == 1
    assert "--> pyinfra error: invalid settings; nothing was run on any host:\n" in output
    assert "  - @local: unknown setting 'modles'. Did you mean 'models'?" in output
    assert "  - @local: ollama_port=70000 is invalid; allowed: " in output
    assert "validation.py" not in output and " line " not in output.split("pyinfra error")[1]


def test_the_error_is_a_pyinfra_error_with_the_listing_as_its_text():
    error = invalid_settings(["h: a=1 is invalid; allowed: 2.", "h: unknown setting 'b'."])
    assert isinstance(error, PyinfraError)
    assert str(error) == ("invalid settings; nothing was run on any host:\n"
                          "  - h: a=1 is invalid; allowed: 2.\n  - h: unknown setting 'b'.")


@pytest.mark.parametrize(("key", "hint"), [("ssh_usr", "ssh_user"), ("ssh_prot", "ssh_port"),
                                            ("_sduo", "_sudo"), ("ssh_keyfile", "ssh_key")])
def test_a_misspelt_pyinfra_key_gets_a_warning_with_the_right_name(key, hint):
    (warning,) = connection_key_warnings("mac", {key: "x", "ssh_user": "admin", "_sudo": True})
    assert warning.startswith(f"mac: pyinfra does not read the key {key!r}")
    assert f"Did you mean '{hint}'?" in warning


def test_keys_pyinfra_reads_get_no_warning():
    data = {"ssh_user": "a", "ssh_port": 22, "ssh_key": "k", "_sudo": True, "_sudo_user": "x",
            "fake_responses": {}, "models": ["x"], "local_thing": 1}
    assert connection_key_warnings("mac", data) == []


def test_group_data_files_pyinfra_ignores_get_a_warning(tmp_path):
    folder = tmp_path / "group_data"
    folder.mkdir()
    for name in ("all.py", "server.yml", "clients.yaml", "all.json", ".hidden"):
        (folder / name).write_text("")
    warnings = ignored_group_data_files([folder, tmp_path / "missing"])
    assert [w.split(":")[0].rsplit("/", 1)[-1] for w in warnings] == [
        "all.json", "clients.yaml", "server.yml"]
    assert "pyinfra reads only group_data/*.py" in warnings[0]
