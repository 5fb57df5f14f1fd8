"""Shared helpers for the analytics tests: fixture paths and reading rendered tables."""

from __future__ import annotations

from pathlib import Path

from remote_ollama.analytics.run_metrics import RunReport, build_report
from remote_ollama.analytics.rundir import load_run

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "analytics"
TOOLS_AND_CACHE = FIXTURES / "handwritten" / "tools-and-cache"
DAMAGED = FIXTURES / "handwritten" / "damaged"
EMPTY = FIXTURES / "handwritten" / "empty"
RECORDED = FIXTURES / "recorded" / "run-standin-plan"


def report_of(run_dir: Path) -> RunReport:
    return build_report(load_run(run_dir))


def section(markdown: str, heading: str) -> str:
    """The text under ``## heading`` up to the next ``## `` heading."""
    marker = f"## {heading}\n"
    assert marker in markdown, f"no section {heading!r}"
    body = markdown.split(marker, 1)[1]
    return body.split("\n## ", 1)[0]


def table(markdown: str, heading: str) -> dict[str, list[str]]:
    """The Markdown table of a section as {first cell: other cells}."""
    lines = [line for line in section(markdown, heading).splitlines() if line.startswith("|")]
    _header, separator, *rows = lines
    assert set(separator) <= set("|:-"), separator
    parsed = {}
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        parsed[cells[0]] = cells[1:]
    return parsed


def bullets(markdown: str, heading: str) -> list[str]:
    return [line[2:] for line in section(markdown, heading).splitlines() if line.startswith("- ")]


FAKE_CLAUDE = '''#!{python}
"""A stand-in for `claude`: logs its argv and env, prints a recorded transcript."""
import json, os, signal, sys, time
with open(os.environ["FAKE_CLAUDE_LOG"], "a") as log:
    env = {{k: v for k, v in os.environ.items() if k.startswith(("ANTHROPIC_", "CLAUDE_CODE_"))}}
    log.write(json.dumps({{"argv": sys.argv[1:], "env": env}}) + "\\n")
sys.stdout.write(open(os.environ["FAKE_CLAUDE_OUTPUT"]).read())
sys.stdout.flush()
sys.stderr.write("fake claude stderr\\n")
if os.environ.get("FAKE_CLAUDE_CTRL_C"):
    # What a terminal Ctrl-C does to the runner (claude has its own session).
    time.sleep(0.3)  # let the runner get past Popen() first
    os.kill(os.getppid(), signal.SIGINT)
time.sleep(float(os.environ.get("FAKE_CLAUDE_SLEEP", "0")))
sys.exit(int(os.environ.get("FAKE_CLAUDE_EXIT", "0")))
'''


def make_fake_claude(
    tmp_path: Path, monkeypatch, output: Path, sleep: float = 0, exit_code: int = 0,
    ctrl_c: bool = False,
):
    """Write an executable fake claude; returns (its path, its log path)."""
    import sys

    script = tmp_path / "fake-claude"
    script.write_text(FAKE_CLAUDE.format(python=sys.executable))
    script.chmod(0o755)
    log = tmp_path / "fake-claude.log"
    monkeypatch.setenv("FAKE_CLAUDE_LOG", str(log))
    monkeypatch.setenv("FAKE_CLAUDE_OUTPUT", str(output))
    monkeypatch.setenv("FAKE_CLAUDE_SLEEP", str(sleep))
    monkeypatch.setenv("FAKE_CLAUDE_EXIT", str(exit_code))
    if ctrl_c:
        monkeypatch.setenv("FAKE_CLAUDE_CTRL_C", "1")
    else:
        monkeypatch.delenv("FAKE_CLAUDE_CTRL_C", raising=False)
    return script, log
