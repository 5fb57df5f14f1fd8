"""The converge-time self-check, run by pyinfra itself on @local: its deadline, and what
the user reads when it fails (issue 13 class 5; issue 14 item 7)."""

from __future__ import annotations

import logging
import re
import time
from contextlib import suppress
from pathlib import Path

import pytest
from pyinfra.api import Config, Inventory, State
from pyinfra.api.connect import connect_all
from pyinfra.api.exceptions import PyinfraError
from pyinfra.api.operation import add_op
from pyinfra.api.operations import run_ops

from remote_ollama import contract, self_check
from tests.hostile.server import HostileServer

CONTRACT = str(Path(contract.__file__))
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def converge_check(url: str, client: bool, deadline: float, caplog) -> tuple[State, str]:
    """Run the contract_checked operation through pyinfra on @local; return the state and
    what pyinfra logged, without colours."""
    inventory = Inventory((["@local"], {}))
    state = State(inventory, Config())
    connect_all(state)
    add_op(state, self_check.contract_checked, name="Check the server (warns only)",
           script=CONTRACT, base_url=url, client=client, deadline=deadline)  # fmt: skip
    with caplog.at_level(logging.INFO, logger="pyinfra"), suppress(PyinfraError):
        run_ops(state)  # "No hosts remaining!" when the only host failed
    return state, ANSI.sub("", caplog.text)


@pytest.fixture
def client_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("OLLAMA_API_BASE", raising=False)
    return tmp_path


def failed_hosts(state: State) -> set:
    return {h.name for h in state.inventory if h not in state.activated_hosts} | {
        h.name for h in state.failed_hosts
    }


def test_a_failed_client_check_is_a_warning_naming_each_failure(served, client_home, caplog):
    served.faults(drop_done_marker=True)
    state, log = converge_check(served.url, client=True, deadline=30, caplog=caplog)
    assert "Error (ignored)" not in log and "executed 0 commands" not in log
    assert f"{served.url} fails " in log and "this client is converged and this only warns" in log
    assert "chat completion, streaming: got " in log
    assert "Try: OpenAI clients wait for [DONE]" in log
    assert "~/.ai-client/env has exactly the contract's lines: got no such file" in log
    assert f"Details: remote-ollama check --server {served.url}" in log
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("fails" in r.getMessage() for r in warnings)
    assert not failed_hosts(state)


def test_a_client_check_against_a_trickling_server_ends_at_its_deadline(client_home, caplog):
    with HostileServer("slow trickle") as server:
        started = time.monotonic()
        state, log = converge_check(server.url, client=True, deadline=2, caplog=caplog)
        took = time.monotonic() - started
    assert took < 10
    assert "no complete answer within" in log
    assert not failed_hosts(state)


def test_a_check_that_cannot_run_says_so(client_home, caplog):
    state, log = converge_check("http://[::1", client=True, deadline=5, caplog=caplog)
    assert "the contract check did not run to the end:" in log and "not a usable URL" in log
    assert not failed_hosts(state)


def test_the_servers_failed_check_fails_its_run_in_the_same_words(served, client_home, caplog):
    served.faults(drop_done_marker=True)
    state, log = converge_check(served.url, client=False, deadline=30, caplog=caplog)
    assert "chat completion, streaming: got " in log
    assert "only warns" not in log
    assert failed_hosts(state) == {"@local"}


def test_a_passing_check_prints_nothing_of_its_own(served, client_home, caplog):
    state, log = converge_check(served.url, client=False, deadline=30, caplog=caplog)
    assert " fails " not in log
    assert not failed_hosts(state)


def test_explain_falls_back_to_the_last_lines_when_the_report_is_not_json():
    from pyinfra.connectors.util import CommandOutput, OutputLine

    output = CommandOutput([OutputLine("stderr", "sh: 1: python3: not found")])
    assert self_check.explain(output, client=True) == [
        "the contract check did not run to the end:",
        "  sh: 1: python3: not found",
    ]


# --- model pulls during converge: progress as pyinfra lines (issue 14, item 10) ----------


@pytest.fixture
def cli_echo():
    """Output lines as the pyinfra CLI prints them (the API alone prints nothing)."""
    import click
    from pyinfra.api import output

    output.set_echo(click.echo)
    yield
    output.set_echo(output._default_echo)


def test_a_converge_pull_prints_its_progress_lines_without_verbose(standin, capfd, cli_echo):
    """pyinfra prints a command's output only with -v; the pull's ShownCommand asks for
    its own lines, each with the host's prefix, and a failed model is named at the end."""
    from pyinfra.api import operation

    from remote_ollama.operations import models
    from remote_ollama.operations.shown import ShownCommand

    @operation()
    def pulled(command: str):
        yield ShownCommand(command, live=True, explain=models.explain_pull)

    standin.faults(fail_pull={"bad:1b": "max retries exceeded"})
    warm_py = str(Path(contract.__file__).with_name("warm.py"))
    inventory = Inventory((["@local"], {}))
    state = State(inventory, Config())
    connect_all(state)
    add_op(
        state,
        pulled,
        name="Pull missing models",
        command=models.pull_command(warm_py, standin.url, ["qwen2.5-coder:7b", "bad:1b"]),
    )
    with suppress(PyinfraError):
        run_ops(state)
    assert state.print_output is False  # no -v
    err = ANSI.sub("", capfd.readouterr().err)
    assert "[@local] [1/2] qwen2.5-coder:7b: missing, pulling" in err
    assert "[@local]     pulling manifest" in err
    assert "[@local]     3.4 GB of 4.7 GB (" not in err  # throttled: one line per 30 s
    assert "[@local] [2/2] bad:1b: FAILED: pull failed: max retries exceeded" in err
    assert "[@local] 1 ready, 1 failed: bad:1b" in err
