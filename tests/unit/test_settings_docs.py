"""Settings documented like NixOS options: an example for every setting, the why for the
risky ones, old names answered with the new, and group_data comments from the schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from remote_ollama.settings import REMOVED, RENAMED, Settings, SettingsError, validate_host
from remote_ollama.settings_docs import (
    DETAILS,
    GROUP_DOCS,
    group_data_text,
    group_data_values,
    settings_table,
)

REPO = Path(__file__).resolve().parents[2]
RISKY = ["ollama_bind", "ollama_allow_lan_exposure", "tailscale_required",
         "claude_code_skip_permissions", "pmset", "ollama_service"]  # fmt: skip


def test_every_setting_has_an_example_and_all_examples_validate_together():
    examples = {}
    for name, field in Settings.model_fields.items():
        assert field.examples, f"{name}: give it examples=[...]"
        examples[name] = field.examples[0]
    settings = Settings(**examples)  # the examples agree with each other's cross-checks
    assert all(getattr(settings, name) == value for name, value in examples.items())


def test_every_example_differs_from_its_default():
    """An example that repeats the default shows nothing a reader could not see already."""
    for name, field in Settings.model_fields.items():
        default = field.default_factory() if field.default_factory else field.default
        assert field.examples[0] != default, name


def test_the_risky_settings_have_a_longer_explanation_and_only_settings_do():
    assert set(RISKY) <= set(DETAILS) <= set(Settings.model_fields)
    for name in RISKY:
        assert len(DETAILS[name]) > 2 * len(Settings.model_fields[name].description or "")


def test_table_and_cli_show_examples_and_details():
    table = settings_table()
    for name, field in Settings.model_fields.items():
        row = next(line for line in table.splitlines() if line.startswith(f"| `{name}` |"))
        assert f"`{field.examples[0]!r}`".replace("|", "\\|") in row
    for name, text in DETAILS.items():
        assert f"- `{name}`: {text}" in table


@pytest.mark.parametrize("old", sorted(RENAMED))
def test_a_renamed_key_says_what_it_is_called_now(old):
    assert old not in Settings.model_fields and RENAMED[old] in Settings.model_fields
    with pytest.raises(SettingsError) as caught:
        validate_host("h", {old: "x"})
    assert caught.value.problems == [f"h: setting {old!r} was renamed to {RENAMED[old]!r}."]


def test_a_removed_key_says_why_and_an_unknown_one_stays_unknown():
    with pytest.raises(SettingsError) as caught:
        validate_host("h", {"acceleration": "metal", "ollama_prot": 1})
    assert caught.value.problems == [
        f"h: setting 'acceleration' was removed: {REMOVED['acceleration']}.",
        "h: unknown setting 'ollama_prot'. Did you mean 'ollama_port'?",
    ]
    assert not set(REMOVED) & set(Settings.model_fields)


@pytest.mark.parametrize("group", sorted(GROUP_DOCS))
def test_group_data_comments_are_the_schemas_descriptions(group):
    path = REPO / "group_data" / f"{group}.py"
    expected = group_data_text(group, group_data_values(path))
    assert path.read_text() == expected, (
        f"{path.name} differs from the schema: run `python -m remote_ollama.settings_docs`")


def test_group_data_text_reads_a_changed_description(monkeypatch):
    """The comment comes from the schema: change a description, the text follows."""
    field = Settings.model_fields["ollama_port"]
    monkeypatch.setattr(field, "description", "The port, said differently.")
    assert "# The port, said differently.\nollama_port = 11434\n" in group_data_text("all", {})
