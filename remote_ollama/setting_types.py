"""The value types of the settings schema: what each setting's value may look like.

Every pattern is matched with ``fullmatch`` (never ``match`` with ``$``, which accepts a
trailing newline): a value that passes is exactly the characters its pattern names.
Values that end up in a plist or a shell file are constrained to safe character sets here,
so renderers never see them raw. ``remote_ollama.settings`` re-exports every name, so
``from remote_ollama.settings import MODEL_RE`` keeps working.
"""

from __future__ import annotations

import re
import string
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator

__all__ = [  # public; remote_ollama.settings re-exports them
    "DURATION_RE", "ENV_NAME_RE", "ENV_VALUE_RE", "HOME_PATH_ALLOWED", "HOSTNAME_RE",
    "IPV4_RE", "LABEL_RE", "MODEL_RE", "ORIGIN_RE", "PATH_PART_RE", "PMSET_KEYS",
    "SYSTEM_MODEL_ROOTS", "TAG_RE", "TYPED_OLLAMA_ENV", "URL_RE", "VERSION_RE",
    "ControllerPath", "Duration", "EnvName", "ExtraEnv", "Fingerprint", "HomePath",
    "HostName", "Label", "ModelName", "ModelsPath", "Origin", "Pmset", "PythonMinor",
    "ReleaseUrl", "Tag", "Url", "Version", "is_version", "latest",
]

MODEL_RE = re.compile(
    r"[a-z0-9][a-z0-9._-]*(?:/[a-z0-9][a-z0-9._-]*){0,2}(?::[a-z0-9][a-z0-9._-]{0,127})?",
    re.IGNORECASE,
)
VERSION_RE = re.compile(r"[0-9]+(?:\.[0-9]+){1,3}(?:[-+.]?[0-9A-Za-z]+)*")
HOSTNAME_RE = re.compile(
    r"(?=.{1,253}\Z)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?"
)
IPV4_RE = re.compile(r"(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)")
DURATION_RE = re.compile(r"-?(?:\d+|(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+)")
PATH_PART_RE = re.compile(r"[A-Za-z0-9._@+-]+")
LABEL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9]")
ENV_NAME_RE = re.compile(r"[A-Z_][A-Z0-9_]*")
ENV_VALUE_RE = re.compile(r"[A-Za-z0-9 ._,:/@%+=*\[\]-]*")
URL_RE = re.compile(r"(?:https?|file)://[A-Za-z0-9._~:/?#\[\]@!$&()*+,;=%{}-]+")
TAG_RE = re.compile(r"tag:[a-z0-9][a-z0-9-]*")
ORIGIN_RE = re.compile(r"[A-Za-z0-9*._:/-]+")


def is_version(value: object) -> bool:
    """True for a release version like ``0.14.2`` (also used on what a server reports)."""
    return isinstance(value, str) and len(value) <= 64 and bool(VERSION_RE.fullmatch(value))


def _matching(pattern: re.Pattern, allowed: str, longest: int = 1024):
    def check(value: str) -> str:
        if len(value) > longest or not pattern.fullmatch(value):
            raise ValueError(f"allowed: {allowed}")
        return value

    return check


ModelName = Annotated[
    str,
    AfterValidator(
        _matching(MODEL_RE, "an Ollama model name like 'qwen2.5-coder:32b' or 'library/llama3'")
    ),
]
Version = Annotated[str, AfterValidator(_matching(VERSION_RE, "a version like '0.14.2'", 64))]
Duration = Annotated[
    str,
    AfterValidator(_matching(DURATION_RE, "a Go duration like '5m', '1h30m', '-1' or '300'", 64)),
]
Url = Annotated[str, AfterValidator(_matching(URL_RE, "an http(s):// or file:// URL"))]
Tag = Annotated[str, AfterValidator(_matching(TAG_RE, "a Tailscale tag like 'tag:ai-server'"))]
Origin = Annotated[str, AfterValidator(_matching(ORIGIN_RE, "a CORS origin like 'http://x:3000'"))]

# Absolute places outside the home that a models folder may be in (Ollama runs as the
# user in both modes, so it must be able to write there): an external disk, or the
# folder every user of the Mac shares.
SYSTEM_MODEL_ROOTS = ("/Volumes/", "/Users/Shared/")
HOME_PATH_ALLOWED = (
    "a folder inside your home written as '~/...' (e.g. '~/Library/Logs/remote-ollama'): "
    "letters, digits and ._@+- in each part; not '~' or '~/' alone, no '.' or '..' parts, "
    "no empty parts or trailing '/'"
)


def _path_parts_ok(parts: list[str]) -> bool:
    return bool(parts) and all(PATH_PART_RE.fullmatch(p) and p not in (".", "..") for p in parts)


def _home_path(value: str) -> str:
    """A directory in the user's home, as ``~/a/b``: never the home itself, never outside."""
    if len(value) > 1024 or not value.startswith("~/") or not _path_parts_ok(value[2:].split("/")):
        raise ValueError(f"allowed: {HOME_PATH_ALLOWED}")
    return value


def _models_path(value: str) -> str:
    """Like ``_home_path``, or a folder under ``SYSTEM_MODEL_ROOTS`` (an external disk)."""
    for root in SYSTEM_MODEL_ROOTS:
        inside = value[len(root):].split("/")
        if value.startswith(root) and len(value) <= 1024 and _path_parts_ok(inside):
            return value
    try:
        return _home_path(value)
    except ValueError:
        raise ValueError(
            f"allowed: {HOME_PATH_ALLOWED}; or a folder on an external disk "
            "('/Volumes/<disk>/...') or in '/Users/Shared/...'"
        ) from None


HomePath = Annotated[str, AfterValidator(_home_path)]
ModelsPath = Annotated[str, AfterValidator(_models_path)]


def _release_url(value: str) -> str:
    """Only ``{version}`` may be replaced: the deploy calls ``str.format`` with the pin."""
    allowed = "an http(s):// or file:// URL whose only placeholder is '{version}'"
    if len(value) > 1024:
        raise ValueError(f"allowed: {allowed}")
    try:
        fields = [(name, spec, conv) for _, name, spec, conv in string.Formatter().parse(value)
                  if name is not None]  # fmt: skip
    except ValueError:
        raise ValueError(f"allowed: {allowed} (a lone '{{' or '}}' must be doubled)") from None
    if any(name != "version" or spec or conv for name, spec, conv in fields):
        raise ValueError(f"allowed: {allowed}")
    if not URL_RE.fullmatch(value.format(version="0.0.0")):
        raise ValueError(f"allowed: {allowed}")
    return value


ReleaseUrl = Annotated[str, AfterValidator(_release_url)]


def _host_or_ip(value: str) -> str:
    if len(value) <= 253 and (IPV4_RE.fullmatch(value) or HOSTNAME_RE.fullmatch(value)):
        return value
    raise ValueError("allowed: a hostname, MagicDNS name or IPv4 address (letters, digits, - and .)")


HostName = Annotated[str, AfterValidator(_host_or_ip)]


def _python_minor(value: Any) -> Any:
    """`--data aider_python=3.11` arrives as a float (and 3.10 as 3.1): read it as text."""
    if isinstance(value, float):
        return {"3.1": "3.10"}.get(str(value), str(value))
    return value


PythonMinor = Annotated[Literal["3.10", "3.11", "3.12"], BeforeValidator(_python_minor)]


def _extra_env(value: dict[str, str]) -> dict[str, str]:
    for name, item in value.items():
        if len(name) > 128 or not ENV_NAME_RE.fullmatch(name):
            raise ValueError(f"key {name!r}: allowed: an env var name like OLLAMA_DEBUG")
        if name in TYPED_OLLAMA_ENV:
            raise ValueError(f"key {name!r}: set it with the typed setting {TYPED_OLLAMA_ENV[name]}")
        if len(item) > 4096 or not ENV_VALUE_RE.fullmatch(item):
            raise ValueError(f"value {item!r} of {name}: allowed: letters, digits and ._,:/@%+=*[]-")
    return value


# Ollama variables that have their own typed setting, so extra_env may not override them.
TYPED_OLLAMA_ENV = {
    "OLLAMA_HOST": "ollama_bind / ollama_port",
    "OLLAMA_KEEP_ALIVE": "ollama_keep_alive",
    "OLLAMA_CONTEXT_LENGTH": "ollama_context_length",
    "OLLAMA_FLASH_ATTENTION": "ollama_flash_attention",
    "OLLAMA_KV_CACHE_TYPE": "ollama_kv_cache_type",
    "OLLAMA_NUM_PARALLEL": "ollama_num_parallel",
    "OLLAMA_MAX_LOADED_MODELS": "ollama_max_loaded_models",
    "OLLAMA_MAX_QUEUE": "ollama_max_queue",
    "OLLAMA_ORIGINS": "ollama_origins",
    "OLLAMA_MODELS": "ollama_models_dir",
}

PMSET_KEYS = {"sleep", "disksleep", "displaysleep", "autorestart", "womp", "powernap", "standby"}


def _pmset(value: dict[str, int]) -> dict[str, int]:
    for key, item in value.items():
        if key not in PMSET_KEYS:
            raise ValueError(f"key {key!r}: allowed: {', '.join(sorted(PMSET_KEYS))}")
        if not 0 <= item <= 600:
            raise ValueError(f"value {item} of {key}: allowed: 0-600")
    return value


def latest(model: str) -> str:
    """Normalise a model name the way Ollama does: a bare name means ':latest'."""
    return model if ":" in model.rsplit("/", 1)[-1] else f"{model}:latest"


Label = Annotated[str, AfterValidator(_matching(LABEL_RE, "a reverse-DNS label"))]
ExtraEnv = Annotated[dict[str, str], AfterValidator(_extra_env)]
Pmset = Annotated[dict[str, int], AfterValidator(_pmset)]
EnvName = Annotated[str, AfterValidator(_matching(ENV_NAME_RE, "an environment variable name"))]
ControllerPath = Annotated[str, AfterValidator(_matching(
    re.compile(r"(?:/|~/)[A-Za-z0-9._@+-]+(?:/[A-Za-z0-9._@+-]+)*"),
    "an absolute or ~/ path on the controller, e.g. '~/.config/remote-ollama/ts-authkey'",
))]
Fingerprint = Annotated[
    str, AfterValidator(_matching(re.compile(r"^[0-9A-F]{40}$"), "40 upper-case hex digits"))
]
