"""The top-level CLI imports only the command being run (issue 14, item 4)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from remote_ollama.cli import COMMANDS, build_parser, chosen_command

FIXTURE_RUN = (
    Path(__file__).resolve().parents[1] / "fixtures" / "analytics" / "handwritten" / "tools-and-cache"
)
HEAVY = ("pyinfra", "pyinfra_cli", "gevent", "paramiko", "pydantic")

IMPORTS_OF = """
import json, sys
from remote_ollama.cli import main
try:
    code = main(json.loads(sys.argv[1]))
except SystemExit as exit_:
    code = exit_.code
heavy = sorted({name.split(".")[0] for name in sys.modules} & set(json.loads(sys.argv[2])))
print("HEAVY=" + json.dumps(heavy), file=sys.stderr)
"""


def heavy_imports(argv: list[str]) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", IMPORTS_OF, json.dumps(argv), json.dumps(HEAVY)],
        capture_output=True, text=True, timeout=60,
    )
    line = [line for line in done.stderr.splitlines() if line.startswith("HEAVY=")][-1]
    return json.loads(line.removeprefix("HEAVY="))


@pytest.mark.parametrize("argv", [
    ["--help"], [], ["analytics", "--help"], ["analytics", "run", "--help"],
    ["analytics", "report", str(FIXTURE_RUN)],
])
def test_help_and_analytics_do_not_import_pyinfra_or_gevent(argv):
    assert heavy_imports(argv) == []


def test_the_command_that_needs_pyinfra_still_gets_it():
    # `acl` reads the pyinfra inventory
    assert "pyinfra" in heavy_imports(["acl", "--help"])


def test_placeholders_say_what_the_commands_say():
    def helps(parser):
        (subparsers,) = parser._subparsers._group_actions
        return [(choice.dest, choice.help) for choice in subparsers._choices_actions]

    assert helps(build_parser([])) == helps(build_parser([], load_all=True))
    assert [name for name, _, _ in COMMANDS] == [name for name, _ in helps(build_parser([]))]


def test_chosen_command():
    assert chosen_command(["--help"]) is None
    assert chosen_command(["-h", "check", "--server", "x"]) == "check"
    assert chosen_command(["analytics", "run"]) == "analytics"


def test_top_level_help_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        build_parser(["--help"]).parse_args(["--help"])
    out = capsys.readouterr().out
    for name, _, help_text in COMMANDS:
        assert name in out and help_text[:30] in out


CTRL_C_CLAUDE = """#!{python}
import os, signal, sys, time
print('{{"type":"system","subtype":"init"}}', flush=True)
time.sleep(0.5)
os.kill(os.getppid(), signal.SIGINT)
time.sleep(30)
"""


def test_ctrl_c_in_analytics_run_prints_no_stray_lines(tmp_path):
    claude = tmp_path / "claude"
    claude.write_text(CTRL_C_CLAUDE.format(python=sys.executable))
    claude.chmod(0o755)
    done = subprocess.run(
        [sys.executable, "-m", "remote_ollama.cli", "analytics", "run", "--mode", "plan",
         "--iterations", "3", "--claude-bin", str(claude), "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert done.returncode == 130
    assert "KeyboardInterrupt" not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Run directory: ")
    assert lines[1].startswith("iter  Read")
    assert lines[2].startswith("1 ")
    run_dir = lines[0].removeprefix("Run directory: ")
    assert lines[3:] == ["", f"interrupted by Ctrl-C during iteration 1. Summary: {run_dir}/summary.md"]
