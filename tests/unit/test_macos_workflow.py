"""The macOS CI: its workflow keeps every step in order, its profile passes the schema,
and ci/assert_no_changes.py judges pyinfra's JSON output correctly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ci.assert_no_changes import NotPyinfraJson, load, problems
from remote_ollama.inventory_loader import load_inventory
from remote_ollama.settings import VERSION_RE, validate_host

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github" / "workflows" / "macos.yml"
PROFILE = REPO / "inventory" / "macos-ci.py"
FIXTURES = REPO / "tests" / "fixtures" / "pyinfra-json"
SCRIPT = REPO / "ci" / "assert_no_changes.py"

# The issue's sequence; a later edit may add steps between them, never drop or reorder one.
ORDER = ["server-converge", "server-testinfra", "server-idempotent", "client-converge",
         "client-testinfra", "contract", "client-idempotent", "uninstall", "kept"]
ARM64_RUNNERS = {"macos-15", "macos-26", "macos-latest"}


# --- the workflow ------------------------------------------------------------------


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


@pytest.fixture(scope="module")
def job(workflow) -> dict:
    return workflow["jobs"]["converge"]


@pytest.fixture(scope="module")
def steps(job) -> dict[str, dict]:
    return {step["id"]: step for step in job["steps"]}


def test_runs_on_push_and_pull_request(workflow):
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True
    assert set(triggers) == {"push", "pull_request"}


def test_matrix_is_arm64_macos_runners_only(job):
    runners = job["strategy"]["matrix"]["os"]
    assert len(runners) == 2 and set(runners) <= ARM64_RUNNERS
    assert job["runs-on"] == "${{ matrix.os }}"
    assert job["strategy"]["fail-fast"] is False  # one macOS failing still shows the other


def test_every_step_has_a_unique_id(job):
    ids = [step.get("id") for step in job["steps"]]
    assert None not in ids and len(ids) == len(set(ids))


def test_steps_run_in_the_issues_order(job):
    ids = [step["id"] for step in job["steps"]]
    assert [i for i in ids if i in ORDER] == ORDER
    assert ids.index("install") < ids.index("server-converge")


def test_run_steps_use_bash_with_pipefail(job):
    assert job["defaults"]["run"]["shell"] == "bash"  # `pyinfra ... | tee` must fail with pyinfra


@pytest.mark.parametrize(("step", "deploy"), [
    ("server-converge", "server"), ("server-idempotent", "server"),
    ("client-converge", "client"), ("client-idempotent", "client"),
])
def test_converges_use_the_ci_profile_and_json(steps, job, step, deploy):
    run = steps[step]["run"]
    assert f'pyinfra -y --json "$INVENTORY" deploys/{deploy}.py' in run
    assert job["env"]["INVENTORY"] == "inventory/macos-ci.py"


@pytest.mark.parametrize(("step", "json_file"), [
    ("server-idempotent", "server-2.json"), ("client-idempotent", "client-2.json"),
])
def test_second_converge_is_asserted_unchanged_from_its_own_json(steps, step, json_file):
    run = steps[step]["run"]
    converge, assertion = run.index(f'>"$OUT/{json_file}"'), run.index("ci/assert_no_changes.py")
    assert converge < assertion
    assert f'ci/assert_no_changes.py "$OUT/{json_file}"' in run


def test_each_pyinfra_run_keeps_its_own_json_and_log(job):
    runs = "\n".join(step.get("run", "") for step in job["steps"])
    outputs = [line.split('>"$OUT/')[1].split('"')[0]
               for line in runs.splitlines() if line.lstrip().startswith("pyinfra ")]
    assert len(outputs) == 6 and len(set(outputs)) == 6
    assert runs.count("pyinfra -y --json") == runs.count('| tee "$OUT/') == 6


@pytest.mark.parametrize(("step", "suite"), [
    ("server-testinfra", "tests/infra/test_server.py"),
    ("client-testinfra", "tests/infra/test_client.py"),
])
def test_testinfra_runs_locally_with_the_profiles_settings(steps, job, step, suite):
    run = steps[step]["run"]
    assert run.startswith(f"pytest {suite} --hosts=local:// $SETTINGS")
    assert job["env"]["SETTINGS"] == (
        "--settings-inventory inventory/macos-ci.py --settings-host @local")


def test_contract_check_targets_the_local_server_and_the_profiles_model(steps, job):
    run = steps["contract"]["run"]
    assert "remote-ollama check --server http://127.0.0.1:11434" in run
    assert '--model "$MODEL"' in run and "--client" in run
    assert job["env"]["MODEL"] == profile_data()["default_model"]


def test_uninstall_runs_both_deploys_with_state_absent(steps):
    run = steps["uninstall"]["run"]
    assert "deploys/client.py --data client_state=absent" in run
    assert "deploys/server.py --data server_state=absent" in run


def test_kept_step_checks_binary_models_brew_and_uv(steps):
    run = steps["kept"]["run"]
    for kept in ("/opt/homebrew/opt/ollama/bin/ollama", ".ollama/models/manifests",
                 ".ollama/models/blobs", "/opt/homebrew/bin/brew", "command -v uv"):
        assert kept in run
    assert "! launchctl" not in run  # `! cmd` never fails a bash -e script


def test_artifacts_are_collected_and_uploaded_on_every_run(job, steps):
    assert steps["collect"]["if"] == "always()"
    assert "com.remote-ollama.ollama.plist" in steps["collect"]["run"]
    upload = job["steps"][-1]
    assert upload["id"] == "upload" and upload["if"] == "always()"
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["with"]["path"].rstrip("/") == job["env"]["OUT"]
    assert "${{ matrix.os }}" in upload["with"]["name"]  # one artifact per runner


def test_actions_are_pinned_to_a_release(job):
    for step in job["steps"]:
        if "uses" in step:
            ref = step["uses"].split("@")[1]
            assert ref.startswith("v") and ref[1].isdigit(), step["uses"]


# --- the CI settings profile ---------------------------------------------------------


def profile_data() -> dict:
    return load_inventory(PROFILE, cwd=REPO).get_host("@local").data.dict()


def test_profile_is_one_local_host_in_both_groups():
    inventory = load_inventory(PROFILE, cwd=REPO)
    assert [h.name for h in inventory] == ["@local"]
    assert {"server", "clients"} <= set(inventory.get_host("@local").groups)


def test_profile_passes_the_settings_schema():
    settings = validate_host("@local", profile_data())
    assert settings.ollama_bind == "loopback" and settings.tailscale_required is False
    assert settings.models == ["smollm2:135m"] and settings.chat_model == "smollm2:135m"
    assert settings.ollama_service == "agent" and settings.pmset
    assert settings.ollama_server_host == "127.0.0.1" and settings.client_shell == "zsh"
    assert settings.claude_code_enabled
    for pin in (settings.claude_code_version, settings.aider_version):
        assert pin and VERSION_RE.fullmatch(pin)


@pytest.mark.parametrize("override", [{"server_state": "absent"}, {"client_state": "absent"}])
def test_profile_with_the_uninstall_data_passes_the_schema(override):
    assert validate_host("@local", {**profile_data(), **override})


# --- ci/assert_no_changes.py ---------------------------------------------------------


def fixture(name: str) -> dict:
    return load((FIXTURES / name).read_text())


def run_script(*paths) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, paths)],
                          capture_output=True, text=True, check=False)


def test_recorded_exec_true_is_a_change():
    assert problems(fixture("exec-true.json")) == ["changed: server.shell (true) on @local"]


def test_recorded_second_directory_run_has_no_change():
    assert problems(fixture("directory-created.json")) == [
        "changed: files.directory (path=/tmp/ro-ci-fixture) on @local"]
    assert problems(fixture("directory-unchanged.json")) == []


def test_dry_run_is_judged_by_the_plan():
    assert problems(fixture("dry-run-would-change.json")) == [
        "would change: files.directory (path=/tmp/ro-ci-fixture-new) on @local"]


def test_every_changed_operation_is_listed_with_its_hosts():
    assert problems(fixture("second-converge-changed.json")) == [
        "changed: remote-ollama server | Pull missing models on mac-2",
        "changed: remote-ollama server | Keep the Mac awake (pmset) on @local, mac-2",
    ]


def test_a_failed_operation_is_not_a_pass():
    assert problems(fixture("op-failed.json")) == [
        "failed: remote-ollama server | Wait for the Ollama API on @local",
        "failed host: @local",
    ]


def test_stray_lines_before_the_json_are_tolerated():
    text = (FIXTURES / "directory-unchanged.json").read_text()
    assert problems(load("some warning\n" + text)) == []


@pytest.mark.parametrize(("text", "message"), [
    ("", "printed no JSON"), ("not json\n", "not pyinfra --json output"),
    ('{"facts": {}}', "not pyinfra --json output"),
])
def test_what_is_not_pyinfra_json_is_refused(text, message):
    with pytest.raises(NotPyinfraJson, match=message):
        load(text)


def test_cli_exit_codes_and_messages(tmp_path):
    unchanged = run_script(FIXTURES / "directory-unchanged.json")
    assert unchanged.returncode == 0 and "no changes (1 operations checked)" in unchanged.stdout

    changed = run_script(FIXTURES / "second-converge-changed.json")
    assert changed.returncode == 1
    assert "2 operation(s) not idempotent" in changed.stderr
    assert "Keep the Mac awake (pmset) on @local, mac-2" in changed.stderr

    empty = tmp_path / "empty.json"
    empty.write_text("")
    assert run_script(empty).returncode == 2
    assert run_script().returncode == 2
