"""remote_ollama.settings is split by concern (issue 18); every name it had stays
importable from it, and is the one object, not a copy."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import remote_ollama.settings as settings

# The public names of remote_ollama/settings.py before the split (git show 72fb980).
PUBLIC = ("Settings", "SettingsError", "validate_host", "own_keys", "settings_table",
          "RENAMED", "REMOVED", "PASSTHROUGH_PREFIXES", "SETTING_NAMES", "MODEL_RE",
          "ENV_NAME_RE", "IPV4_RE", "VERSION_RE", "TAG_RE", "HOSTNAME_RE", "latest",
          "is_version", "Duration", "ModelName")
HOMES = {"Settings": "settings_schema", "SETTING_NAMES": "settings_schema",
         "validate_host": "settings_validation", "SettingsError": "settings_validation",
         "RENAMED": "settings_renamed", "REMOVED": "settings_renamed",
         "CrossError": "settings_checks", "MODEL_RE": "setting_types"}


def test_every_public_name_is_still_importable_from_settings():
    missing = [name for name in PUBLIC if not hasattr(settings, name)]
    assert missing == []


def test_each_name_is_the_object_of_the_module_that_owns_it():
    for name, module in HOMES.items():
        home = importlib.import_module(f"remote_ollama.{module}")
        assert getattr(settings, name) is getattr(home, name), name
    assert settings._CrossError is settings.CrossError


def test_a_cross_problem_still_names_every_key_through_validate_host():
    try:
        settings.validate_host("h", {"models": ["a:1"], "default_model": "b:1",
                                     "ollama_bind": "all", "ollama_host": "x"})
    except settings.SettingsError as exc:
        text = str(exc)
    else:
        raise AssertionError("validate_host accepted bad data")
    assert "default_model='b:1' is invalid; allowed: one of `models`" in text
    assert "ollama_bind='all' is invalid" in text
    assert "'ollama_host' was renamed to 'ollama_bind'" in text


def test_each_module_s_all_names_every_public_name_it_defines():
    """settings.py re-exports each module's ``__all__``: a name defined but left out of it
    would not import from remote_ollama.settings."""
    for module in sorted(set(HOMES.values())):
        home = importlib.import_module(f"remote_ollama.{module}")
        tree = ast.parse(Path(home.__file__).read_text(encoding="utf-8"))
        defined = set()
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                defined.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                defined |= {t.id for t in targets if isinstance(t, ast.Name)}
        public = {name for name in defined if not name.startswith("_")}
        assert public == set(home.__all__), module
