"""Packaged prompts and goal substitution."""

import pytest

from remote_ollama.analytics.prompt_text import (
    DEFAULT_GOAL,
    build_prompt,
    default_prompt_text,
    load_prompt,
)


@pytest.mark.parametrize("mode", ["plan", "build"])
def test_packaged_prompts_have_a_goal_slot(mode):
    text = default_prompt_text(mode)
    assert "{{GOAL}}" in text
    assert "IMPLEMENTATION_PLAN.md" in text


def test_goal_is_substituted_or_defaulted():
    assert load_prompt("plan", None, "add tests").count("Goal: add tests") == 1
    assert "Goal: " + DEFAULT_GOAL in load_prompt("build", None, None)
    assert "{{GOAL}}" not in load_prompt("build", None, None)


def test_custom_prompt_file(tmp_path):
    custom = tmp_path / "p.md"
    custom.write_text("Do X for {{GOAL}}.")
    assert load_prompt("plan", custom, "Y") == "Do X for Y."
    custom.write_text("No slot here.\n")
    assert load_prompt("plan", custom, "Y") == "No slot here.\n\nGoal: Y\n"
    assert load_prompt("plan", custom, None) == "No slot here.\n"


def test_unknown_mode():
    with pytest.raises(ValueError, match="unknown mode"):
        default_prompt_text("review")
    assert build_prompt("{{GOAL}}", "g") == "g"
