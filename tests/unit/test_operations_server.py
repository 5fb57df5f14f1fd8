"""Server operations: facts in, commands out; the converged state yields nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pyinfra.connectors.util import CommandOutput, OutputLine

from remote_ollama.facts.files import FileDigest, ManagedFile, PathExists
from remote_ollama.facts.homebrew import BrewCellar
from remote_ollama.facts.launchd import LaunchdJob
from remote_ollama.facts.ollama import OllamaApi
from remote_ollama.facts.power import PmsetSettings
from remote_ollama.facts.system import ProcessRunning
from remote_ollama.operations import files, homebrew, launchd, models, ollama, power
from tests.unit.ops import key, run_op

URL = "http://100.64.0.1:11434"
TARGET = "gui/$(id -u)/com.remote-ollama.ollama"


def test_file_content_uploads_when_absent_then_is_a_no_op():
    path = "/Users/a/.ai-client/env"
    first = run_op(files.file_content, {key(ManagedFile, path=path): None},
                   path=path, content="A=1\n", mode="600")
    assert first[0] == "mkdir -p /Users/a/.ai-client"
    assert first[1] == f"UPLOAD {path}\nA=1\n"
    assert first[2] == f"chmod 600 {path}"
    again = {key(ManagedFile, path=path): {"mode": "600", "content": "A=1\n"}}
    assert run_op(files.file_content, again, path=path, content="A=1\n", mode="600") == []


def test_file_content_fixes_only_the_mode_when_content_matches():
    path = "/x/env"
    facts = {key(ManagedFile, path=path): {"mode": "644", "content": "A=1\n"}}
    assert run_op(files.file_content, facts, path=path, content="A=1\n", mode="600") == [
        "chmod 600 /x/env"
    ]


def test_file_absent_and_directory():
    assert run_op(files.file_absent, {key(PathExists, path="/p"): True}, path="/p") == [
        "rm -f /p"
    ]
    assert run_op(files.file_absent, {key(PathExists, path="/p"): False}, path="/p") == []
    assert run_op(files.directory, {key(PathExists, path="/d"): False}, path="/d") == [
        "mkdir -p -m 755 /d"
    ]
    assert run_op(files.directory, {key(PathExists, path="/d"): True}, path="/d") == []


def job_facts(job):
    return {key(LaunchdJob, target=TARGET): job}


def test_job_loaded_bootstraps_an_absent_job_then_leaves_it():
    args = dict(domain="gui/$(id -u)", label="com.remote-ollama.ollama", plist="/p.plist")
    assert run_op(launchd.job_loaded, job_facts({"loaded": False}), **args) == [
        launchd.bootstrap_command("gui/$(id -u)", "/p.plist")
    ]
    running = job_facts({"loaded": True, "state": "running"})
    assert run_op(launchd.job_loaded, running, **args) == []


def test_job_loaded_reloads_a_changed_plist_and_kickstarts_a_new_binary():
    args = dict(domain="gui/$(id -u)", label="com.remote-ollama.ollama", plist="/p.plist")
    running = job_facts({"loaded": True, "state": "running"})
    reload = run_op(launchd.job_loaded, running, reload=True, **args)
    assert reload == [launchd.bootout_command("gui/$(id -u)", "com.remote-ollama.ollama"),
                      launchd.bootstrap_command("gui/$(id -u)", "/p.plist")]
    assert run_op(launchd.job_loaded, running, restart=True, **args) == [
        f"launchctl kickstart -k {TARGET}"
    ]
    stopped = job_facts({"loaded": True, "state": "not running"})
    assert run_op(launchd.job_loaded, stopped, **args) == [f"launchctl kickstart -k {TARGET}"]


def test_job_unloaded():
    args = dict(domain="gui/$(id -u)", label="com.remote-ollama.ollama")
    out = run_op(launchd.job_unloaded, job_facts({"loaded": True}), **args)
    assert out == [launchd.bootout_command("gui/$(id -u)", "com.remote-ollama.ollama")]
    assert run_op(launchd.job_unloaded, job_facts({"loaded": False}), **args) == []


def api(models_, loaded=()):
    return {key(OllamaApi, base_url=URL): {"version": "0.14.2", "models": dict.fromkeys(models_, ""),
                                           "loaded": list(loaded)}}


def test_models_present_pulls_only_missing_with_latest_normalised():
    out = run_op(models.models_present, api(["llama3:latest"]), base_url=URL,
                 models=["llama3", "qwen3:8b"], warm_script="/h/warm.py")
    assert len(out) == 1
    assert out[0].endswith("--no-load qwen3:8b")
    assert run_op(models.models_present, api(["llama3:latest", "qwen3:8b"]), base_url=URL,
                  models=["llama3", "qwen3:8b"], warm_script="/h/warm.py") == []


def test_models_present_pulls_everything_when_the_server_is_not_up_yet():
    out = run_op(models.models_present, {key(OllamaApi, base_url=URL): None}, base_url=URL,
                 models=["llama3"], warm_script="/h/warm.py")
    assert out[0].endswith("--no-load llama3:latest")


def test_models_pruned_and_warm():
    out = run_op(models.models_pruned, api(["llama3:latest", "old:1b"]), base_url=URL,
                 keep=["llama3"])
    assert out == [f"curl -q -fsS --max-time 60 -o /dev/null -X DELETE {URL}/api/delete "
                   "-d '{\"model\": \"old:1b\"}'"]
    warm = run_op(models.models_warm, api(["llama3:latest"]), base_url=URL, models=["llama3"],
                  keep_alive="-1")
    assert warm == [f"curl -q -fsS --max-time 600 -o /dev/null {URL}/api/generate -d "
                    "'{\"model\": \"llama3:latest\", \"keep_alive\": -1}'"]
    loaded = api(["llama3:latest"], loaded=["llama3:latest"])
    assert run_op(models.models_warm, loaded, base_url=URL, models=["llama3"],
                  keep_alive="-1") == []


def test_pull_command_reports_each_failed_model_and_tries_the_rest(standin):
    """The generated command, run against the Ollama stand-in that fails one model's pull
    mid-stream (an {"error"} line on HTTP 200, as Ollama does)."""
    standin.faults(fail_pull={"bad:1b": "pull model manifest: file does not exist"})
    warm_py = Path(models.__file__).parents[1] / "warm.py"
    script = models.pull_command(str(warm_py), standin.url, ["a:1b", "bad:1b", "c:1b"])
    result = subprocess.run(["sh", "-c", script.replace("python3", sys.executable, 1)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert ("[2/3] bad:1b: FAILED: pull failed: pull model manifest: file does not exist"
            in result.stdout)
    assert result.stdout.splitlines()[-1] == "2 ready, 1 failed: bad:1b"
    assert [m["name"] for m in standin.json("GET", "/api/tags")[1]["models"]] == [
        "a:1b", "c:1b"]
    assert standin.requests("/api/generate") == []  # pulled, not loaded
    lines = models.explain_pull(CommandOutput([OutputLine("stdout", line)
                                               for line in result.stdout.splitlines()]))
    assert lines == ["model pull failed:", "  [2/3] bad:1b: FAILED: pull failed: pull model "
                     "manifest: file does not exist"]


def test_pmset_applies_only_differing_values():
    facts = {key(PmsetSettings): {"sleep": 1, "disksleep": 0, "womp": 1, "autorestart": 0}}
    wanted = {"sleep": 0, "disksleep": 0, "autorestart": 1, "womp": 1}
    assert run_op(power.pmset, facts, settings=wanted) == ["pmset -a autorestart 1 sleep 0"]
    converged = {key(PmsetSettings): {"sleep": 0, "disksleep": 0, "womp": 1, "autorestart": 1}}
    assert run_op(power.pmset, converged, settings=wanted) == []


def test_brew_formula_and_service():
    cellar = {key(BrewCellar): {"formulae": {"git": ["2"]}, "casks": {}}}
    assert run_op(homebrew.brew_formula, cellar, formula="ollama") == [
        "/opt/homebrew/bin/brew install --formula ollama"
    ]
    installed = {key(BrewCellar): {"formulae": {"ollama": ["0.14.2"]}, "casks": {}}}
    assert run_op(homebrew.brew_formula, installed, formula="ollama") == []
    svc = {key(LaunchdJob, target="gui/$(id -u)/homebrew.mxcl.ollama"): {"loaded": True}}
    assert run_op(homebrew.brew_service_stopped, svc, formula="ollama", plist="/L/h.plist") == [
        launchd.bootout_command("gui/$(id -u)", "homebrew.mxcl.ollama"), "rm -f /L/h.plist"
    ]
    off = {key(LaunchdJob, target="gui/$(id -u)/homebrew.mxcl.ollama"): {"loaded": False}}
    assert run_op(homebrew.brew_service_stopped, off, formula="ollama") == []


def test_release_installed_and_app_quit():
    d = "/Users/a/.local/opt/ollama/0.14.2"
    out = run_op(ollama.release_installed, {key(PathExists, path=f"{d}/ollama"): False},
                 version="0.14.2", url="http://m/ollama-darwin.tgz", directory=d)
    assert "--max-time 1800 --max-filesize 1073741824 http://m/ollama-darwin.tgz" in out[0]
    assert out[0].endswith(f"mv {d}.partial {d}")
    assert run_op(ollama.release_installed, {key(PathExists, path=f"{d}/ollama"): True},
                  version="0.14.2", url="http://m/x.tgz", directory=d) == []
    assert run_op(ollama.app_quit, {key(ProcessRunning, process="Ollama"): True}, app="Ollama")
    assert run_op(ollama.app_quit, {key(ProcessRunning, process="Ollama"): False},
                  app="Ollama") == []


def test_api_healthy_waits_only_when_needed_and_enforces_minimum(tmp_path):
    args = dict(base_url=URL, timeout=2, minimum="0.14.0", log="/l")
    assert run_op(ollama.api_healthy, {}, needed=False, **args) == []
    script = run_op(ollama.api_healthy, {}, needed=True, **args)[0]
    fake_curl = tmp_path / "curl"
    for version, code in (("0.13.5", 1), ("0.14.0", 0), ("0.15.1", 0), ("1.0.0", 0)):
        fake_curl.write_text(f"#!/bin/sh\necho '{{\"version\":\"{version}\"}}'\n")
        fake_curl.chmod(0o755)
        result = subprocess.run(["sh", "-c", script], capture_output=True, text=True,
                                env={"PATH": f"{tmp_path}:/usr/bin:/bin"})
        assert result.returncode == code, (version, result.stderr)


def test_shipped_file_compares_a_digest_and_is_a_no_op_when_it_matches():
    import hashlib

    path = "/h/.local/share/remote-ollama/contract.py"
    digest = hashlib.sha256(b"print(1)\n").hexdigest()
    first = run_op(files.shipped_file, {key(FileDigest, path=path): None}, path=path,
                   content="print(1)\n", mode="755")
    assert first[1] == f"UPLOAD {path}\nprint(1)\n" and first[2] == f"chmod 755 {path}"
    stale = {key(FileDigest, path=path): {"mode": "755", "sha256": "0" * 64}}
    assert len(run_op(files.shipped_file, stale, path=path, content="print(1)\n", mode="755")) == 3
    same = {key(FileDigest, path=path): {"mode": "755", "sha256": digest}}
    assert run_op(files.shipped_file, same, path=path, content="print(1)\n", mode="755") == []
