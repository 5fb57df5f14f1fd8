"""Plan a deploy against stubbed hosts, the way `pyinfra --dry` would, and read the plan.

Hosts use pyinfra's own ``@fake`` connector: every command "succeeds", and the probe
command gets the canned sections a test provides (see ``probe_output``), one per fact.
Files and paths the probe reads in one batch section (``probe.BATCHED``) are answered
from those one-fact sections, in the batch's format (see ``batch_lines``). The deploy file
is loaded exactly as the CLI loads it, with the repo's ``group_data`` applied, so a plan
test exercises validation, the probe, preflight and every operation's decisions.
"""

from __future__ import annotations

import base64
import os
import shlex
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pyinfra import context
from pyinfra.api import Config, Inventory, State
from pyinfra.api.command import FileUploadCommand, StringCommand
from pyinfra.api.connect import connect_all
from pyinfra.api.state import StateStage
from pyinfra.connectors.fake import FakeConnector
from pyinfra.connectors.util import CommandOutput, OutputLine
from pyinfra_cli.inventory import _get_group_data
from pyinfra_cli.util import load_deploy_file

from remote_ollama import probe
from remote_ollama.facts.files import ABSENT, EOF_MARK, ManagedFile, decode, encode
from remote_ollama.probe import BEGIN, parse_section, split_sections, unfold

REPO = Path(__file__).resolve().parents[2]


def probe_output(sections: dict[str, tuple[int, list[str]]]) -> list[str]:
    """Stdout of a probe whose sections answered as given: ``{name: (exit code, lines)}``,
    encoded as a host sends it (``probe.host_output``)."""
    return probe.host_output(sections)


def managed_file_lines(content: str | None, mode: str = "644", links: int = 1) -> list[str]:
    """What ``ManagedFile``'s command prints for a file holding ``content``: mode and link
    count, the bytes as base64 (wrapped at 76 like GNU ``base64``), the EOF marker."""
    if content is None:
        return [ABSENT]
    data = base64.b64encode(encode(content)).decode()
    return [f"{mode} {links}", *[data[i : i + 76] for i in range(0, len(data), 76)], EOF_MARK]


def batch_lines(cls, members: list[tuple[str, str]], named: dict) -> list[str]:
    """What a host prints for a batch section (``ManagedFiles`` or ``PathsExist``), given
    each member's one-fact section ``named[member]``; a member without one is absent."""
    values = [(probe._relative_path(path), parse_section(cls, *named.get(member, (1, []))))
              for member, path in members]  # fmt: skip
    if cls is not ManagedFile:
        return [f"{'yes' if value else 'no'} {path}" for path, value in values]
    present = [(path, value) for path, value in values if value is not None]
    stats = [f"{v['mode']} {v['links']} {len(encode(v['content']))} {path}"
             for path, v in present]  # fmt: skip
    data = b"".join(encode(v["content"]) for _, v in present)
    if probe.BATCHED[ManagedFile][1].get("raw"):  # `cat` itself, then "\n" and the marker
        return ["@@stat", *stats, "@@raw", *(data.decode("utf-8", "surrogateescape")
                                            + "\n" + EOF_MARK).split("\n")]
    return ["@@stat", *stats, "@@content", base64.b64encode(data).decode(), EOF_MARK]


class UnstubbedSection(AssertionError):
    """The deploy asked a probe section the test's stub does not answer. Without this,
    the section would read as its fact's default (usually "absent"), and a renamed
    request or stub key would pass unnoticed, planning for the wrong machine."""

    def __init__(self, host: str, missing: list[str], stubbed: list[str]):
        super().__init__(f"{host}: the probe asked {missing}, which the stub does not answer "
                         f"(stubbed: {stubbed}); add them to the stub, with the output "
                         "the fact's command prints")


@contextmanager
def batches_answered_from_fact_sections():
    """Fake hosts answer the probe's batch sections from the stub's one-fact sections;
    the probe's nonce is fixed, so the same question gives the same script."""
    asked: dict[str, tuple[dict, bool]] = {}
    real_ask, real_lookup, real_nonce = probe._ask, FakeConnector._lookup_response, probe.new_nonce

    def ask(host, cache, wanted, batch=True):
        asked[host.name] = (wanted, batch)
        return real_ask(host, cache, wanted, batch)

    def lookup(self, command: str):
        success, output = real_lookup(self, command)
        wanted, batch = asked.get(self.host.name, ({}, False))
        if not command.startswith("{ echo '" + BEGIN):
            return success, output
        named = split_sections(unfold(output.stdout_lines))
        unanswered = sorted(set(wanted) - set(named))
        if unanswered:  # a name the stub does not use reads as "absent": a silent miss
            raise UnstubbedSection(self.host.name, unanswered, sorted(named))
        if not batch:
            return success, output
        sections = dict(named)
        for section, members in probe.batched(wanted)[1].items():
            sections[section] = (0, batch_lines(wanted[members[0][0]][0], members, named))
        return success, CommandOutput([OutputLine("stdout", line)
                                       for line in probe_output(sections)])  # fmt: skip

    probe._ask, FakeConnector._lookup_response = ask, lookup
    probe.new_nonce = lambda: "0"  # the same script for the same question, run after run
    try:
        yield
    finally:
        probe._ask, FakeConnector._lookup_response = real_ask, real_lookup
        probe.new_nonce = real_nonce


def repo_group_data() -> dict[str, dict]:
    """The repo's group_data/*.py, loaded by pyinfra's own loader."""
    with context.ctx_state.use(State()):
        return _get_group_data(str(REPO / "group_data"))


@dataclass
class HostPlan:
    name: str
    ops: list[tuple[str, list[str]]] = field(default_factory=list)  # (op name, commands)
    executed: list[str] = field(default_factory=list)  # commands sent while planning
    errors_ignored: set[str] = field(default_factory=set)  # ops whose failure only warns
    sudo: set[str] = field(default_factory=set)  # ops run with _sudo

    @property
    def changes(self) -> list[str]:
        return [name for name, commands in self.ops if commands]

    @property
    def commands(self) -> list[str]:
        return [c for _, commands in self.ops for c in commands]

    def commands_of(self, op_name: str) -> list[str]:
        return [c for name, commands in self.ops if name == op_name for c in commands]

    def commands_for(self, op_name: str, path: str) -> list[str]:
        """The commands of an operation over several files that are about ``path``."""
        return [c for c in self.commands_of(op_name) if _command_path(c) == path]

    def files_changed(self, op_name: str) -> list[str]:
        """Names (after the last /) of the files an operation over several files changes."""
        names = [_command_path(c).rsplit("/", 1)[-1] for c in self.commands_of(op_name)]
        return list(dict.fromkeys(names))


_HELPER_SUFFIXES = (".before-remote-ollama", ".remote-ollama-new")  # backups, uploads


def _command_path(command: str) -> str:
    """The file a command writes: an upload's destination (a profile's goes next to it,
    ``FILE.remote-ollama-new``), else its last absolute path that is not a backup or an
    upload (``mv FILE FILE.before-remote-ollama`` is about FILE)."""
    if command.startswith("UPLOAD "):
        dest = command.split("\n", 1)[0].removeprefix("UPLOAD ")
        return dest.removesuffix(".remote-ollama-new")
    words = [w.rstrip(";") for w in shlex.split(command)]
    paths = [w for w in words if w.startswith("/") and not w.endswith(_HELPER_SUFFIXES)]
    return paths[-1] if paths else ""


def _render(command) -> str:
    if isinstance(command, FileUploadCommand):
        content = command.src.getvalue() if hasattr(command.src, "getvalue") else command.src
        content = decode(content) if isinstance(content, bytes) else content  # profiles: bytes
        return f"UPLOAD {command.dest}\n{content}"
    if isinstance(command, StringCommand):
        return command.get_raw_value()
    return str(command)


def plan(
    deploy: str,
    server: dict[str, dict] | None = None,
    clients: dict[str, dict] | None = None,
    data: dict | None = None,
) -> dict[str, HostPlan]:
    """Plan ``deploys/<deploy>.py``; hosts map a name to host data (incl. fake_responses)."""
    group_data = repo_group_data()
    groups = {
        "server": ([(f"@fake/{n}", d) for n, d in (server or {}).items()], group_data["server"]),
        "clients": ([(f"@fake/{n}", d) for n, d in (clients or {}).items()], group_data["clients"]),
    }
    names = [h for hosts, _ in groups.values() for h in hosts]
    inventory = Inventory((names, group_data["all"]), override_data=data or {}, **groups)
    for host in inventory:
        host.data.fake_delay = 0

    state = State(check_for_changes=True)
    state.cwd = str(REPO)
    state.init(inventory, Config())
    old_cwd = os.getcwd()
    os.chdir(REPO)
    try:
        with context.ctx_state.use(state), context.ctx_inventory.use(inventory), \
                batches_answered_from_fact_sections():
            state.set_stage(StateStage.Connect)
            connect_all(state)
            state.set_stage(StateStage.Prepare)
            load_deploy_file(state, str(REPO / "deploys" / f"{deploy}.py"))
            return {host.name.removeprefix("@fake/"): _host_plan(state, host) for host in inventory}
    finally:
        os.chdir(old_cwd)


def _host_plan(state: State, host) -> HostPlan:
    result = HostPlan(host.name, executed=list(host.connector.executed_commands))
    with context.ctx_host.use(host):
        for op_hash in state.get_op_order():
            if op_hash not in state.ops[host]:
                continue
            op_data = state.get_op_data_for_host(host, op_hash)
            # this host's own name: op_meta's names are every host's (one per host's name=)
            name = (op_data.global_arguments.get("name")
                    or next(iter(state.op_meta[op_hash].names)).split(" | ")[-1])
            result.ops.append((name, [_render(c) for c in op_data.command_generator()]))
            if op_data.global_arguments.get("_ignore_errors"):
                result.errors_ignored.add(name)
            if op_data.global_arguments.get("_sudo"):
                result.sudo.add(name)
    return result
