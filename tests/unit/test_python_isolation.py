"""The tools we ship run in a Python that the user's environment cannot change.

``python3`` puts ``$PYTHONPATH`` before the standard library in ``sys.path`` and adds the
user's site-packages (``~/.local/lib/pythonX.Y/site-packages``); ``-E`` ignores every
``PYTHON*`` variable and ``-s`` that folder (docs.python.org, "Command line and
environment"). A ``PYTHONPATH`` left over for another Python is common, and one that
holds an old backport (``enum34``'s ``enum.py`` is the known case) breaks ``re``, ``json``
and ``argparse`` for every script. ``-I`` would also drop the script's own folder, where
warm.py finds contract.py, so it is ``-Es``. Every ``python3`` a host runs for us (the
shipped warm.py and contract.py, a ``-c`` one-liner) is checked here, by a source scan
and by running the shipped tools with such an environment.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from remote_ollama.operations.models import pull_command
from remote_ollama.self_check import check_command
from tests.unit.test_curlrc import COMMAND_POSITION, string_constants

REPO = Path(__file__).resolve().parents[2]
POISON = 'raise ImportError("enum34, from another Python")\n'
DEAD = "http://127.0.0.1:9"  # discard: nothing listens there

# python3 on a script or -c where a shell runs it (group 1: its first argument)
COMMAND_PYTHON = re.compile(COMMAND_POSITION + r"(?:/usr/bin/)?python3\s+(?!-m\s)(\S+)", re.M)


@pytest.fixture
def hostile(tmp_path):
    """(folder of the shipped tools, an environment whose PYTHONPATH and user site-packages
    hold a poisoned ``enum``)"""
    shipped = tmp_path / "share"
    shipped.mkdir()
    for tool in ("warm.py", "contract.py"):
        shutil.copy(REPO / "remote_ollama" / tool, shipped / tool)
    home = tmp_path / "home"
    env = {"HOME": str(home), "PATH": os.environ["PATH"], "PYTHONPATH": str(tmp_path / "old")}
    user_site = subprocess.run(["python3", "-c", "import site; print(site.getusersitepackages())"],
                               env=env, capture_output=True, text=True, check=True).stdout.strip()
    for folder in (tmp_path / "old", Path(user_site)):
        folder.mkdir(parents=True)
        (folder / "enum.py").write_text(POISON)
    return shipped, env


def run(command: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["sh", "-c", command], env=env, capture_output=True, text=True,
                          timeout=60)  # fmt: skip


@pytest.mark.parametrize("tool", ["check", "pull"])
def test_the_shipped_tools_ignore_pythonpath_and_the_user_site(hostile, tool):
    shipped, env = hostile
    if tool == "check":
        command = check_command(str(shipped / "contract.py"), DEAD, client=True, deadline=3)
    else:
        command = pull_command(str(shipped / "warm.py"), DEAD, ["llama3.2:1b"], pull_timeout=3)
    done = run(command, env)
    assert "enum34" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert DEAD in done.stdout + done.stderr  # the tool ran, and says it cannot reach it
    # not vacuous: the same command without -Es dies on the poisoned enum
    assert "enum34" in run(command.replace("python3 -Es ", "python3 "), env).stderr


# The --help examples of the tools themselves: for a person at a terminal, in their own
# environment, not commands a deploy runs.
HELP_EXAMPLES = {("contract.py", "contract.py"), ("warm.py", "warm.py")}


def test_every_python3_the_product_runs_on_a_host_is_isolated():
    found, missing = 0, []
    for path in sorted((REPO / "remote_ollama").rglob("*.py")):
        for text in string_constants(path):
            for match in COMMAND_PYTHON.finditer(text):
                if (path.name, match.group(1)) in HELP_EXAMPLES:
                    continue
                found += 1
                if match.group(1) != "-Es":
                    missing.append(f"{path.relative_to(REPO)}: {text[match.start():][:70]!r}")
    assert not missing, "python3 without -Es:\n" + "\n".join(missing)
    assert found >= 4  # warm.py twice (pulls, the boot job), contract.py, a -c one-liner


@pytest.mark.parametrize("text, first", [
    ("python3 -Es x.py", "-Es"), ("exec /usr/bin/python3 -Es w.py", "-Es"),
    ("fpr=$(python3 -c 'x')", "-c"), ("a && python3 w.py", "w.py"),
    ("python3 -m venv v", None), ("run `python3 contract.py`", None),
])  # fmt: skip
def test_the_scan_finds_python3_where_a_shell_runs_it(text, first):
    match = COMMAND_PYTHON.search(text)
    assert (match.group(1) if match else None) == first
