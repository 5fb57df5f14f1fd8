"""Render every file the client deploy writes, from the settings only (golden-tested).

Shell files come from Jinja2 templates in the repo's ``templates/``. Every value in them
goes through a filter: ``sh`` (shell quoting), ``name`` (a variable name), ``rel_path`` (a
fixed path of ours) or ``comment`` (text on a comment line, which must stay one line). A
value a filter cannot take raises ``UnsafeValue``: nothing is rendered from it. YAML files
are dumped with ``yaml.safe_dump``, never built as strings.
"""

from __future__ import annotations

import functools
import json
import re
import shlex
from pathlib import Path

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from remote_ollama.analytics.backend import claude_ollama_env
from remote_ollama.compat import Verdict
from remote_ollama.settings import ENV_NAME_RE, Settings, is_version

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
ENV_FILE = ".ai-client/env"  # relative to home, as remote_ollama.contract reads it
CLAUDE_SCRIPT = ".ai-client/claude-ollama.sh"  # the claude-ollama function
HEADER = "# Managed by remote-ollama; changes are overwritten on the next converge."
JSON5_HEADER = "// Managed by remote-ollama; changes are overwritten on the next converge."


class UnsafeValue(ValueError):
    """A value that cannot be put into a shell file as it is."""


REL_PATH_RE = re.compile(r"[A-Za-z0-9._][A-Za-z0-9._/-]*")
COMMENT_RE = re.compile(r"[ -~]*")  # printable ASCII: no newline, CR or other control


def _checked(pattern: re.Pattern, what: str):
    def check(value) -> str:
        text = str(value)
        if not pattern.fullmatch(text) or ".." in text.split("/"):
            raise UnsafeValue(f"{text!r} is not {what}; it cannot go into a shell file")
        return text

    return check


def sh_quote(value) -> str:
    """``shlex.quote``; NUL cannot be in a shell word at all, so it is refused."""
    text = str(value)
    if "\0" in text:
        raise UnsafeValue(f"{text!r} holds a NUL byte; it cannot go into a shell file")
    return shlex.quote(text)


@functools.cache  # one Environment per run: each template is compiled once, not per host
def _jinja() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
        auto_reload=False,  # templates do not change during a run: no stat per render
    )
    env.filters["sh"] = sh_quote
    env.filters["name"] = _checked(ENV_NAME_RE, "a variable name")
    env.filters["rel_path"] = _checked(REL_PATH_RE, "a relative path of letters, digits, ._/-")
    env.filters["comment"] = _checked(COMMENT_RE, "one line of printable text")
    return env


def _template(template: str, **values) -> str:
    return _jinja().get_template(template).render(**values)


def aider_model(settings: Settings) -> str | None:
    return f"ollama_chat/{settings.default_model}" if settings.default_model else None


def env_file(settings: Settings, server_url: str) -> str:
    """``~/.ai-client/env``: exactly the contract (see remote_ollama/contract.py)."""
    return _template("client-env.j2", server_url=server_url, aider_model=aider_model(settings))


def profile_env_block() -> str:
    """Body of the env block: ~/.local/bin on PATH, then source the env file."""
    return _template("profile-env-block.sh.j2", env_file=ENV_FILE)


def claude_models(settings: Settings) -> tuple[str, str]:
    """(main model, small model) for claude-ollama."""
    model = settings.claude_code_model or settings.chat_model
    return model, settings.claude_code_small_model or model


def claude_ollama_block() -> str:
    """Body of the claude-ollama block: bash and zsh source the function's file.

    The function itself lives in its own file because ``claude-ollama`` is not a valid
    POSIX function name: ``~/.profile`` (which gets the blocks when bash has no
    ``~/.bash_profile``) is also read by dash, e.g. by Debian's X session.
    """
    return _template("claude-ollama-block.sh.j2", script=CLAUDE_SCRIPT)


def claude_ollama_script(settings: Settings, server_url: str, binary: str) -> str:
    """``~/.ai-client/claude-ollama.sh``: the function, with the analytics backend's env
    (``claude_ollama_env``) so the alias and the loop runner always agree."""
    model, small = claude_models(settings)
    env = claude_ollama_env(server_url, model, small, settings.ollama_context_length)
    return _template(
        "claude-ollama.sh.j2",
        env=env,
        binary=binary,
        version=settings.claude_code_version,
        skip_permissions=settings.claude_code_skip_permissions,
    )


def _yaml(data) -> str:
    return _yaml_of(json.dumps(data))  # the same settings on every host: dumped once


@functools.lru_cache(maxsize=64)
def _yaml_of(data_json: str) -> str:
    data = json.loads(data_json)
    return HEADER + "\n" + yaml.safe_dump(data, sort_keys=False, default_flow_style=False)


def aider_conf(settings: Settings) -> str:
    """``~/.aider.conf.yml``: default model, and nothing that calls home or nags."""
    conf: dict = {}
    if settings.default_model:
        conf["model"] = aider_model(settings)
    conf.update(
        {
            "check-update": False,  # no PyPI version check at start
            "analytics-disable": True,  # no analytics, and no prompt asking for them
            "show-release-notes": False,  # no release-notes prompt after an upgrade
            "show-model-warnings": False,  # Ollama models lack litellm metadata: no nag
        }
    )
    return _yaml(conf)


def aider_model_settings(settings: Settings) -> str:
    """``~/.aider.model.settings.yml``: a fixed num_ctx per model, so Ollama never reloads."""
    return _yaml(
        [
            {
                "name": f"ollama_chat/{model}",
                "extra_params": {"num_ctx": settings.ollama_context_length},
            }
            for model in settings.models
        ]
    )


def aider_model_metadata(settings: Settings) -> str:
    """``~/.aider.model.metadata.json`` (Aider reads it as JSON5, so a comment header is fine).

    Each model's context window and zero cost: Aider looks models up here first, so it
    never downloads litellm's price list from the internet to learn them.
    """
    window = settings.ollama_context_length
    entries = {
        f"ollama_chat/{model}": {
            "input_cost_per_token": 0.0,
            "litellm_provider": "ollama_chat",
            "max_input_tokens": window,
            "max_output_tokens": window,
            "max_tokens": window,
            "mode": "chat",
            "output_cost_per_token": 0.0,
        }
        for model in settings.models
    }
    return JSON5_HEADER + "\n" + json.dumps(entries, indent=2, sort_keys=True) + "\n"


def version_lock(claude_code_version: str, ollama_version: str | None, found: Verdict) -> str:
    """``~/.ai-client/.version-lock``; TESTED_DATE comes from the matrix, so re-runs agree.

    The Ollama version may come from the server's answer: only a version is written (and
    every value is quoted too), so a server cannot put a command into a file users source.
    """
    for value in (claude_code_version, ollama_version):
        if value is not None and not is_version(value):
            raise UnsafeValue(f"{value!r} is not a version like '0.14.2'; the version lock "
                              "was not written")  # fmt: skip
    return _template(
        "version-lock.j2",
        claude_code_version=claude_code_version,
        ollama_version=ollama_version or "unknown",
        tested_date=found.tested or "none",
        status=found.status,
    )
