"""The plan/build prompt files shipped with the package, and goal substitution."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

MODES = ("plan", "build")
GOAL_PLACEHOLDER = "{{GOAL}}"
DEFAULT_GOAL = (
    "no explicit goal was given; work from the repository's own plan and docs"
    " (IMPLEMENTATION_PLAN.md, README, open TODOs)."
)


def default_prompt_text(mode: str) -> str:
    """The packaged prompt for ``mode`` (``plan`` or ``build``)."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
    package = resources.files("remote_ollama.analytics") / "prompts" / f"{mode}.md"
    return package.read_text(encoding="utf-8")


def build_prompt(template: str, goal: str | None) -> str:
    """Put ``goal`` in place of ``{{GOAL}}``; a template without it gets the goal appended."""
    if GOAL_PLACEHOLDER in template:
        return template.replace(GOAL_PLACEHOLDER, goal or DEFAULT_GOAL)
    if goal:
        return template.rstrip() + f"\n\nGoal: {goal}\n"
    return template


def load_prompt(mode: str, prompt_file: Path | None, goal: str | None) -> str:
    """The prompt for one iteration: ``prompt_file`` if given, else the packaged one."""
    template = (
        prompt_file.read_text(encoding="utf-8") if prompt_file else default_prompt_text(mode)
    )
    return build_prompt(template, goal)
