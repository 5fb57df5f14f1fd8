"""``contract.py`` ships to hosts as one standard-library file, so it restates a few
contracts the package also defines. These tests pin every copy to its source: change one
side and they fail, naming the other."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from remote_ollama import client, contract, render, settings
from remote_ollama.analytics import backend
from remote_ollama.settings import Settings


def test_profile_markers_are_the_ones_the_client_deploy_writes():
    assert (contract.PROFILE_START, contract.PROFILE_END) == (client.ENV_START, client.ENV_END)


def test_env_file_path_and_header_are_the_rendered_ones():
    assert contract.ENV_FILE == render.ENV_FILE == backend.CLIENT_ENV_FILE
    assert contract.ENV_HEADER == render.HEADER


def test_env_keys_are_the_rendered_file_keys_in_order():
    text = render.env_file(Settings(default_model="qwen2.5-coder:7b"), "http://ai-server:11434")
    assert text.splitlines()[0] == contract.ENV_HEADER
    assert tuple(re.findall(r"^export ([A-Z_]+)=", text, re.M)) == contract.ENV_KEYS


MODEL_PARTS = st.text(alphabet="abc:/._-0", max_size=12)


@given(MODEL_PARTS)
def test_latest_is_the_same_function_in_both(model):
    assert contract.latest(model) == settings.latest(model)


def test_latest_examples():
    for model, expected in [("llama3", "llama3:latest"), ("hf.co/o/m:Q4", "hf.co/o/m:Q4"),
                            ("library/llama3", "library/llama3:latest"), ("a:b/c", "a:b/c:latest")]:
        assert contract.latest(model) == settings.latest(model) == expected
