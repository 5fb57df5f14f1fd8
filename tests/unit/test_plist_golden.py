"""The rendered plist for the example settings equals the golden file (home-manager style).

Regenerate after an intended change with: UPDATE_GOLDEN=1 pytest tests/unit/test_plist_golden.py
"""

from __future__ import annotations

import os
import plistlib
from pathlib import Path

import pytest

from remote_ollama.plist import job_paths, ollama_environment, render_plist
from remote_ollama.server import binary_path
from tests.plan.macs import group_settings

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "server"
HOME, USER, IP = "/Users/admin", "admin", "100.101.102.103"


def rendered(name: str, **overrides) -> str:
    settings = group_settings("server", **overrides)
    paths = job_paths(settings, HOME, binary_path(settings, HOME))
    return render_plist(settings, paths, ollama_environment(settings, IP, HOME), USER)


@pytest.mark.parametrize(
    ("golden", "overrides"),
    [
        ("agent-example.plist", {}),
        ("daemon-tuned.plist", {
            "ollama_service": "daemon", "ollama_version": "0.14.2", "ollama_keep_alive": "-1",
            "ollama_flash_attention": True, "ollama_kv_cache_type": "q8_0",
            "ollama_num_parallel": 2, "ollama_max_loaded_models": 2, "ollama_max_queue": 64,
            "ollama_origins": ["http://localhost:3000"], "ollama_models_dir": "~/models",
            "ollama_extra_env": {"OLLAMA_DEBUG": "1"},
        }),
    ],
)
def test_rendered_plist_matches_golden(golden, overrides):
    text = rendered(golden, **overrides)
    path = GOLDEN / golden
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()
    job = plistlib.loads(text.encode())
    assert job["KeepAlive"] is True and job["RunAtLoad"] is True
    assert all(p.startswith("/") for p in (job["StandardOutPath"], job["StandardErrorPath"],
                                           job["ProgramArguments"][0]))
    assert "~" not in text and "$HOME" not in text  # launchd expands neither


def test_every_typed_option_lands_in_the_environment():
    job = plistlib.loads(rendered("daemon-tuned.plist", **{
        "ollama_service": "daemon", "ollama_flash_attention": False,
        "ollama_kv_cache_type": "q4_0", "ollama_num_parallel": 3,
        "ollama_max_loaded_models": 1, "ollama_max_queue": 9,
        "ollama_origins": ["http://a:1", "http://b:2"], "ollama_models_dir": "/Volumes/m",
    }).encode())
    env = job["EnvironmentVariables"]
    assert env["OLLAMA_FLASH_ATTENTION"] == "0"
    assert env["OLLAMA_KV_CACHE_TYPE"] == "q4_0"
    assert env["OLLAMA_NUM_PARALLEL"] == "3"
    assert env["OLLAMA_MAX_LOADED_MODELS"] == "1"
    assert env["OLLAMA_MAX_QUEUE"] == "9"
    assert env["OLLAMA_ORIGINS"] == "http://a:1,http://b:2"
    assert env["OLLAMA_MODELS"] == "/Volumes/m"
    assert env["OLLAMA_HOST"] == f"{IP}:11434"
    assert env["OLLAMA_CONTEXT_LENGTH"] == "65536"
    assert job["UserName"] == USER


def test_unset_options_keep_ollamas_defaults():
    env = plistlib.loads(rendered("agent-example.plist").encode())["EnvironmentVariables"]
    assert "OLLAMA_FLASH_ATTENTION" not in env and "OLLAMA_NUM_PARALLEL" not in env
