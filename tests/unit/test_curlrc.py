"""No curl that remote-ollama runs reads the user's ``~/.curlrc``.

curl reads ``$CURL_HOME/.curlrc``, ``$XDG_CONFIG_HOME/.curlrc`` or ``~/.curlrc`` before its
command line unless ``-q`` (``--disable``) is its first argument (curl's
docs/cmdline-opts/disable.md; Homebrew passes it for the same reason, Homebrew/brew#4022).
A user's curlrc is theirs: ``include`` puts the headers in the body a fact parses,
``write-out`` adds lines after every transfer, ``proxy`` sends a tailnet address to a
proxy. Aider and Claude Code never read it, so a check that did would not see what they
see. The case set tests/hostile/curlrc_cases.py tries it (docs/reliability.md).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.hostile import curlrc_cases

REPO = Path(__file__).resolve().parents[2]

# Where a shell runs a word as a command: at the start of a string, or after ; & | ( { $(
# or a keyword. Shared with test_python_isolation's scan.
COMMAND_POSITION = r"(?:^|[;&|({]|\$\(|\b(?:until|while|if|then|do|else|exec))\s*"
# curl with options there (group 1 is what follows the name)
COMMAND_CURL = re.compile(COMMAND_POSITION + r"curl(\s+-\S*)", re.M)


@pytest.mark.parametrize("use", list(curlrc_cases.USES))
def test_each_use_reads_the_same_with_every_hostile_curlrc(use):
    """The case set of docs/reliability.md, one use at a time; and it is not vacuous: the
    same commands without -q are misled by some of its curlrcs."""
    expected = curlrc_cases.baseline(use)
    assert expected[0] and expected[1] == []
    misled = []
    for directive, line in curlrc_cases.DIRECTIVES.items():
        assert curlrc_cases.outcome((directive, use)) == "safe", directive
        if curlrc_cases.run(use, line, misled=True) != expected:
            misled.append(directive)
    assert "proxy" in misled and len(misled) >= 2, misled


def string_constants(path: Path) -> list[str]:
    return [node.value for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]  # fmt: skip


def test_every_curl_in_the_product_starts_with_q():
    """Every string in the package and the templates where a shell would run curl."""
    sources = [*sorted((REPO / "remote_ollama").rglob("*.py")),
               *sorted(p for p in (REPO / "templates").iterdir() if p.is_file())]
    found, missing = 0, []
    for path in sources:
        texts = string_constants(path) if path.suffix == ".py" else [path.read_text()]
        for text in texts:
            for match in COMMAND_CURL.finditer(text):
                found += 1
                if match.group(1) != " -q":
                    missing.append(f"{path.relative_to(REPO)}: {text[match.start():][:60]!r}")
    assert not missing, "curl without -q first:\n" + "\n".join(missing)
    assert found >= 12  # the scan sees the curls there are (probe, ops, scripts, plist)


@pytest.mark.parametrize("text, runs", [
    ("curl -q -s x", True), ("v=$(curl -s x)", True), ("until curl -sf x; do", True),
    ("a && curl -fsSL x", True), ("{ curl -fsSL x", True), ("(curl exit 22)", False),
    ("curl's docs", False), ("libcurl -x", False),
])  # fmt: skip
def test_the_scan_finds_curl_where_a_shell_runs_it(text, runs):
    assert bool(COMMAND_CURL.search(text)) is runs
