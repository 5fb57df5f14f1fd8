"""Client operations: facts in, commands out; applying the result again yields nothing."""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyinfra.api import OperationError

from remote_ollama import client
from remote_ollama.facts.client import (
    AiderInstall,
    CommandPath,
    DirectoryEntries,
    SymlinkTarget,
)
from remote_ollama.facts.files import ManagedFile, PathExists
from remote_ollama.operations import aider, claude_code, json_settings, owned_files, profile
from remote_ollama.operations.profile import Block
from remote_ollama.setting_types import VERSION_RE
from tests.unit.ops import key, run_op

S, E = "# >>> remote-ollama env >>>", "# <<< remote-ollama env <<<"
CS, CE = "# >>> remote-ollama claude-ollama >>>", "# <<< remote-ollama claude-ollama <<<"
RC = "/home/dev/.bashrc"


def uploaded(commands: list[str], path: str) -> str:
    """The text uploaded for ``path`` (profiles are uploaded next to it, then put in place)."""
    upload = next(c for c in commands if c.startswith((f"UPLOAD {path}\n",
                                                       f"UPLOAD {path}.remote-ollama-new\n")))
    return upload.split("\n", 1)[1]


# --- profile blocks ------------------------------------------------------------------

def text(content, mode="644", links=1):
    return None if content is None else {"mode": mode, "links": links, "content": content}


def env(body):
    return Block(S, E, body)


def claude(body):
    return Block(CS, CE, body)


def blocks_on(content, blocks, mode="644", links=1):
    return run_op(profile.marker_blocks, {key(ManagedFile, path=RC): text(content, mode, links)},
                  path=RC, blocks=blocks)


PROFILE_CASES = [
    # (before, blocks, after) -- after None means "no command"
    ("alias x=y\n", [env("body\n")], f"alias x=y\n\n{S}\nbody\n{E}\n"),
    ("no newline", [env("b")], f"no newline\n{S}\nb\n{E}\n"),  # ours ends the user's line
    (None, [env("b")], f"{S}\nb\n{E}\n"),
    ("", [env("b")], f"\n{S}\nb\n{E}\n"),  # an existing empty file: not like a new one
    (f"a\n{S}\nold\n{E}\nz\n", [env("new")], f"a\n{S}\nnew\n{E}\nz\n"),
    (f"a\n\n{S}\nb\n{E}\n", [env(None)], "a\n"),
    (f"a\n{S}\nb\n{E}\nz\n\n{S}\nb\n{E}\n", [env("b")], f"a\n{S}\nb\n{E}\nz\n"),
    ("a\n", [env("e"), claude("c")], f"a\n\n{S}\ne\n{E}\n\n{CS}\nc\n{CE}\n"),
    (f"a\n\n{S}\ne\n{E}\n\n{CS}\nc\n{CE}\n", [env("e"), claude(None)],
     f"a\n\n{S}\ne\n{E}\n"),
    (f"  {S}\nb\n  {E}\n", [env("b")], f"{S}\nb\n{E}\n"),  # indented: found, straightened
    (f"{S}\r\nb\r\n{E}\r\n", [env("b")], f"{S}\nb\n{E}\n"),  # markers CRLF'd: straightened
    (f"a\n\n{S}\nb\n{E}\n", [env("b")], None),
    ("dos\r\nline\r\n", [env("b")], f"dos\r\nline\r\n\n{S}\nb\n{E}\n"),  # CRs stay
    ("x\x0cy\x1ez\u2028w\x85v\udcff", [env("b")], f"x\x0cy\x1ez\u2028w\x85v\udcff\n{S}\nb\n{E}\n"),
    (f"echo '{S}'\n{S} \x0c\n", [env("b")], f"echo '{S}'\n{S} \x0c\n\n{S}\nb\n{E}\n"),  # not markers
]


@pytest.mark.parametrize(("before", "blocks", "after"), PROFILE_CASES)
def test_marker_blocks_then_second_application_is_a_no_op(before, blocks, after):
    commands = blocks_on(before, blocks)
    if after is None:
        assert commands == []
        return
    assert uploaded(commands, RC) == after
    assert commands[-1] == f"chmod 644 {RC}"
    assert blocks_on(after, blocks) == []


@pytest.mark.parametrize("before", [
    None, "", " ", "\n", "\n\n", " \t\n", "\r\n", "no newline", "a\n", "a\n\n", "crlf\r\n",
    "cr only\r", "\x1e", "f\x0cf", "ls\u2028", "\udcff\udcfe", "line\n\n\n  \n",
    f"echo {S}\n", f"{S}x\n",
])
def test_add_then_remove_gives_back_the_very_same_bytes(before):
    """Converge (env and claude-ollama blocks), converge again, uninstall: the file is
    exactly what it was, or gone if it was not there. Empty and whitespace-only files stay."""
    both, none = [env("e\n"), claude("c\n")], [env(None), claude(None)]
    added = uploaded(blocks_on(before, both), RC)
    assert blocks_on(added, both) == []
    removed = blocks_on(added, none)
    if before is None:
        assert removed == [f"if [ -L {RC} ]; then : > {RC}; else rm -f {RC}; fi"]
    elif before == "":
        assert removed == [f": > {RC}"]  # emptied in place, kept
    else:
        assert uploaded(removed, RC) == before


def test_marker_blocks_keep_the_files_mode_and_delete_only_a_file_they_created():
    assert blocks_on("x\n", [env("b")], mode="600")[-1] == f"chmod 600 {RC}"
    assert blocks_on(f"{S}\nb\n{E}\n", [env(None), claude(None)]) == [
        f"if [ -L {RC} ]; then : > {RC}; else rm -f {RC}; fi"]  # a link's target is kept
    assert blocks_on(f"\n{S}\nb\n{E}\n", [env(None)]) == [f": > {RC}"]  # was empty: kept
    assert blocks_on(f"  \n\n{S}\nb\n{E}\n", [env(None)])[0].endswith("\n  \n")
    assert blocks_on(None, [env(None)]) == []
    assert blocks_on("user stuff\n", [env(None)]) == []
    assert blocks_on("", [env(None)]) == []


def test_a_hard_linked_profile_keeps_its_links(tmp_path):
    """A profile with another hard link is written in place, never renamed over (which
    would leave the other name with the old text); emptied, it is truncated, not deleted."""
    import subprocess

    commands = blocks_on("mine\n", [env("b")], links=2)
    assert commands[1] == profile.write_through(RC + profile.NEW_SUFFIX, RC, in_place=True)
    assert blocks_on(f"{S}\nb\n{E}\n", [env(None)], links=2) == [f": > {RC}"]
    rc, other = tmp_path / ".bashrc", tmp_path / "dotfiles-bashrc"
    rc.write_text("mine\n")
    os.link(rc, other)
    new = f"{rc}{profile.NEW_SUFFIX}"
    with open(new, "w") as f:
        f.write("mine\nours\n")
    subprocess.run(["sh", "-c", profile.write_through(new, str(rc), in_place=True)], check=True)
    assert other.read_text() == "mine\nours\n" and rc.stat().st_nlink == 2
    assert not os.path.exists(new)


def test_a_profile_that_is_a_symlink_stays_one_and_its_target_gets_the_text(tmp_path):
    """A dotfile manager's link: the text goes into the target; a plain file is replaced
    whole by a rename. Run in a real shell, the upload played by writing the new file."""
    import subprocess

    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    (dotfiles / "zshrc").write_text("alias ll='ls -l'\n")
    os.chmod(dotfiles / "zshrc", 0o600)
    link, plain = tmp_path / ".zshrc", tmp_path / ".bashrc"
    link.symlink_to(dotfiles / "zshrc")
    plain.write_text("old\n")
    for path in (link, plain):
        new = f"{path}{profile.NEW_SUFFIX}"
        with open(new, "w") as f:
            f.write("new text\n")
        subprocess.run(["sh", "-c", profile.write_through(new, str(path))], check=True)
        assert path.read_text() == "new text\n" and not os.path.exists(new)
    assert link.is_symlink() and (dotfiles / "zshrc").read_text() == "new text\n"
    assert (dotfiles / "zshrc").stat().st_mode & 0o777 == 0o600  # the target's own file
    assert not plain.is_symlink()


def test_profile_bytes_that_are_not_utf8_are_uploaded_exactly():
    from unittest import mock

    from pyinfra.api import FileUploadCommand

    with mock.patch.object(profile, "fact", lambda cls, **kw: text("caf\udce9\r\n")), \
            mock.patch.object(profile, "host", mock.Mock()):
        commands = list(profile.marker_blocks._inner(path=RC, blocks=[env("b")]))
    upload = next(c for c in commands if isinstance(c, FileUploadCommand))
    assert upload.src.getvalue() == f"caf\xe9\r\n\n{S}\nb\n{E}\n".encode("latin-1")


@pytest.mark.parametrize("broken", [f"{S}\nb\n", f"b\n{E}\n", f"{E}\n{S}\n", f"{S}\n{S}\n{E}\n"])
def test_marker_blocks_refuse_unmatched_markers(broken):
    with pytest.raises(OperationError, match="unmatched"):
        blocks_on(broken, [env("b")])


# The install scripts' block (henriquefalconer/remote-ollama client/scripts/install.sh), as
# its heredoc appends it, and a later version's claude-ollama alias block.
SEED = ('\n# >>> ai-client >>>\n# remote-ollama ai-client environment configuration\n'
        'if [ -f "$HOME/.ai-client/env" ]; then\n    source "$HOME/.ai-client/env"\nfi\n'
        '# <<< ai-client <<<\n')
SEED_ALIAS = ("\n# >>> claude-ollama >>>\n# Claude Code with local Ollama backend\n"
              "alias claude-ollama='ANTHROPIC_AUTH_TOKEN=ollama ANTHROPIC_API_KEY=\"\" "
              "ANTHROPIC_BASE_URL=http://ai-server:11434 claude --dangerously-skip-permissions'\n"
              "# <<< claude-ollama <<<\n")


def taking_over(body_env, body_claude):
    return [Block(S, E, body_env, (client.SEED_ENV,)),
            Block(CS, CE, body_claude, (client.SEED_CLAUDE,))]


@pytest.mark.parametrize(("users", "after"), [
    ("", ""), ("export A=1\n", ""), ("no newline", ""), ("crlf\r\n", ""),
    ("export A=1\n", "alias after=1\n"), ("no newline", "alias after=1\n")])
def test_the_install_scripts_block_is_replaced_by_ours_where_it_is(users, after):
    """Ours takes the old block's place; converging the file before the scripts touched it
    gives the same text, so uninstall gives back the user's bytes exactly (and lines the
    user added after the old block stay lines of their own)."""
    seeded = users + SEED + after
    added = uploaded(blocks_on(seeded, taking_over("e\n", None)), RC)
    assert added == uploaded(blocks_on(users, taking_over("e\n", None)), RC) + after
    assert "ai-client >>>" not in added and added.count(S) == 1
    assert blocks_on(added, taking_over("e\n", None)) == []
    removed = blocks_on(added, taking_over(None, None))
    if users + after == "":
        assert removed == [f": > {RC}"]  # the scripts touched it into being; it stays
    else:
        glue = "\n" if after and users and not users.endswith("\n") else ""
        assert uploaded(removed, RC) == users + glue + after


def test_the_old_block_next_to_ours_goes_and_the_alias_block_is_replaced_or_removed():
    ours_first = uploaded(blocks_on("a\n", taking_over("e\n", None)), RC)
    both = ours_first + SEED + SEED_ALIAS  # what converging a seeded client used to leave
    with_claude = uploaded(blocks_on(both, taking_over("e\n", "c\n")), RC)
    assert with_claude == f"a\n\n{S}\ne\n{E}\n\n{CS}\nc\n{CE}\n"
    assert uploaded(blocks_on(both, taking_over("e\n", None)), RC) == ours_first
    assert profile.holds_former(both, taking_over("e", None))
    assert not profile.holds_former(with_claude, taking_over("e", None))


def test_the_install_scripts_block_with_an_absolute_path_is_taken_over_too():
    seeded = "a\n" + SEED.replace("$HOME", "/Users/alice")
    assert uploaded(blocks_on(seeded, taking_over("e\n", None)), RC) == f"a\n\n{S}\ne\n{E}\n"


def test_an_install_scripts_block_holding_a_users_line_stops_the_run():
    edited = "a\n" + SEED.replace("fi\n", "fi\nexport MINE=1\n")
    with pytest.raises(OperationError, match=r"line 8: 'export MINE=1'.*move your lines out"):
        blocks_on(edited, taking_over("e\n", None))


def test_shell_profiles_edit_each_file_in_one_operation():
    zshrc, zprofile = "/home/dev/.zshrc", "/home/dev/.zprofile"
    facts = {key(ManagedFile, path=zshrc): text(f"a\n\n{S}\nb\n{E}\n"),
             key(ManagedFile, path=zprofile): text(None)}
    commands = run_op(profile.shell_profiles, facts, files={
        zshrc: [env("b")], zprofile: [env("b")]})
    assert commands == [f"UPLOAD {zprofile}.remote-ollama-new\n{S}\nb\n{E}\n",
                        profile.write_through(zprofile + ".remote-ollama-new", zprofile),
                        f"chmod 644 {zprofile}"]
    assert run_op(profile.shell_profiles, facts, files={zshrc: [env("b")],
                                                        zprofile: [env(None)]}) == []


def test_the_install_scripts_uninstaller_is_removed_only_if_it_is_theirs():
    path = "/home/dev/.ai-client/uninstall.sh"

    def op(content):
        return run_op(owned_files.former_file_absent, {key(ManagedFile, path=path): text(content)},
                      path=path, sign=client.SEED_UNINSTALLER_SIGN)
    assert op("#!/bin/bash\n# remote-ollama-client uninstall script\n") == [f"rm -f {path}"]
    assert op("#!/bin/sh\necho my own\n") == []
    assert op(None) == []


def test_directory_absent_if_empty():
    def op(found):
        return run_op(owned_files.directory_absent_if_empty,
                      {key(DirectoryEntries, path="/h/.ai-client"): found},
                      path="/h/.ai-client", ignoring=["env", ".version-lock"])
    assert op(["env"]) == ["rmdir /h/.ai-client"]
    assert op(["env", "notes.txt"]) == []
    assert op(None) == []


# --- JSON settings ---------------------------------------------------------------------

SETTINGS = "/home/dev/.claude/settings.json"
OFF = {"env": {"DISABLE_AUTOUPDATER": "1"}}
OFF_FILE = json.dumps(OFF, indent=2) + "\n"  # the file json_merged creates with OFF alone


def json_op(op, content, values=OFF):
    return run_op(op, {key(ManagedFile, path=SETTINGS): text(content, "600")},
                  path=SETTINGS, values=values)


def test_json_merged_keeps_the_users_keys_and_is_then_a_no_op():
    mine = json.dumps({"model": "opus", "env": {"FOO": "bar"}, "permissions": {"allow": []}})
    commands = json_op(json_settings.json_merged, mine)
    written = uploaded(commands, SETTINGS)
    assert json.loads(written) == {"model": "opus", "permissions": {"allow": []},
                                   "env": {"FOO": "bar", "DISABLE_AUTOUPDATER": "1"}}
    assert commands[-1] == f"chmod 600 {SETTINGS}"
    assert json_op(json_settings.json_merged, written) == []


def test_json_merged_creates_a_missing_file_and_refuses_broken_json():
    commands = json_op(json_settings.json_merged, None)
    assert commands[0] == "mkdir -p /home/dev/.claude"
    assert json.loads(uploaded(commands, SETTINGS)) == OFF
    with pytest.raises(OperationError, match="not valid JSON"):
        json_op(json_settings.json_merged, "{oops")
    with pytest.raises(OperationError, match="not a JSON object"):
        json_op(json_settings.json_merged, "[]")


def test_json_unmerged_removes_the_folder_only_if_the_file_was_all_it_held(tmp_path):
    import subprocess

    for extra in (None, "history.jsonl"):
        folder = tmp_path / f"claude-{extra}"
        folder.mkdir()
        (folder / "settings.json").write_text(OFF_FILE)
        if extra:
            (folder / extra).write_text("{}\n")
        path = str(folder / "settings.json")
        (command,) = run_op(json_settings.json_unmerged,
                            {key(ManagedFile, path=path): text(OFF_FILE)},
                            path=path, values=OFF)
        subprocess.run(["sh", "-c", command], check=True)
        assert folder.exists() == bool(extra)
        assert not (folder / "settings.json").exists()


def test_json_unmerged_takes_out_only_our_value():
    both = json.dumps({"env": {"FOO": "bar", "DISABLE_AUTOUPDATER": "1"}})
    assert json.loads(uploaded(json_op(json_settings.json_unmerged, both), SETTINGS)) == {
        "env": {"FOO": "bar"}}
    folder = SETTINGS.rsplit("/", 1)[0]
    assert json_op(json_settings.json_unmerged, OFF_FILE) == [
        f"rm -f {SETTINGS} && {{ rmdir {folder} 2>/dev/null || true; }}"]
    users_own = json.dumps({"env": {"DISABLE_AUTOUPDATER": "0"}})
    assert json_op(json_settings.json_unmerged, users_own) == []
    assert json_op(json_settings.json_unmerged, None) == []


# --- owned files -----------------------------------------------------------------------

CONF, HEADER = "/home/dev/.aider.conf.yml", "# Managed by remote-ollama"
OURS = f"{HEADER}\ncheck-update: false\n"
BACKUP = CONF + owned_files.BACKUP_SUFFIX


def owned(op, current, backup=False, **kwargs):
    facts = {key(ManagedFile, path=CONF): text(current), key(PathExists, path=BACKUP): backup}
    return run_op(op, facts, path=CONF, header=HEADER, **kwargs)


def test_owned_file_writes_ours_and_moves_a_users_file_aside_once():
    assert owned(owned_files.owned_file, None, content=OURS) == [
        f"UPLOAD {CONF}\n{OURS}", f"chmod 644 {CONF}"]
    assert owned(owned_files.owned_file, OURS, content=OURS) == []
    users = owned(owned_files.owned_file, "model: gpt-4\n", content=OURS)
    assert users[0] == f"[ -e {BACKUP} ] || mv {CONF} {BACKUP}"
    assert users[1] == f"UPLOAD {CONF}\n{OURS}"


def test_owned_file_absent_removes_only_ours_and_restores_the_users():
    assert owned(owned_files.owned_file_absent, OURS) == [f"rm -f {CONF}"]
    assert owned(owned_files.owned_file_absent, OURS, backup=True) == [
        f"rm -f {CONF}", f"mv {BACKUP} {CONF}"]
    assert owned(owned_files.owned_file_absent, "model: gpt-4\n") == []
    assert owned(owned_files.owned_file_absent, None) == []


def test_owned_files_is_owned_file_for_each_file_in_one_operation():
    other = "/home/dev/.aider.model.settings.yml"
    facts = {key(ManagedFile, path=CONF): text(OURS), key(PathExists, path=BACKUP): False,
             key(ManagedFile, path=other): text("mine\n"),
             key(PathExists, path=other + owned_files.BACKUP_SUFFIX): False}
    commands = run_op(owned_files.owned_files, facts, files=[
        {"path": CONF, "content": OURS, "header": HEADER},  # up to date: nothing
        {"path": other, "content": OURS, "header": HEADER}])  # the user's: moved aside
    backup = other + owned_files.BACKUP_SUFFIX
    assert commands == [f"[ -e {backup} ] || mv {other} {backup}", f"UPLOAD {other}\n{OURS}",
                        f"chmod 644 {other}"]
    absent = run_op(owned_files.owned_files_absent, facts, files=[
        {"path": CONF, "header": HEADER}, {"path": other, "header": HEADER}])
    assert absent == [f"rm -f {CONF}"]  # the user's own file stays


# --- uv, pipx, Aider -------------------------------------------------------------------

UV = "/home/dev/.local/bin/uv"
PY = "/usr/bin/python3.11"


ROOT_A = "/home/dev/.local/share/remote-ollama/aider"
LINK_A = "/home/dev/.local/bin/aider"
TARGET_A = f"{ROOT_A}/0.86.2-py3.11"


GATE = "FunctionCommand(gate, "  # the rollout's gate, first (operations/rollout.py)


@pytest.fixture(autouse=True)
def rollout_joins(monkeypatch):
    """The clients that join Aider's rollout (at plan time, when they will install)."""
    joined = []
    monkeypatch.setattr(aider.rollout, "join", lambda state, host: joined.append(host.name))
    return joined


def aider_checked(facts, **kwargs) -> list[str]:
    """aider_checked's shell commands, after checking that the rollout's gate comes first."""
    commands = run_op(aider.aider_checked, facts, **kwargs)
    if commands:
        assert commands[0].startswith(GATE)
    return commands[1:]


def install(checked, installer="uv", previous="0.86.1", **kwargs):
    args = dict(installer=installer, tool=UV if installer == "uv" else "/x/pipx",
                version="0.86.2", python=PY, python_minor="3.11", root=ROOT_A,
                previous=previous)
    return aider_checked({key(PathExists, path=f"{TARGET_A}/.checked"): checked},
                         **{**args, **kwargs})


def install_line(command: str) -> str:
    """The installer's line in aider_checked's script."""
    return command.splitlines()[1].split(" || ", 1)[0]


def test_aider_checked_installs_beside_then_does_nothing_once_checked(rollout_joins):
    (command,) = install(False)
    assert rollout_joins == ["test-host"]  # it takes part in the rollout
    assert command.splitlines()[0] == f"rm -rf {TARGET_A} && mkdir -p {ROOT_A}"
    assert install_line(command) == (
        f"env UV_TOOL_DIR={TARGET_A} UV_TOOL_BIN_DIR={TARGET_A}/bin "
        f"{UV} tool install --python {PY} aider-chat==0.86.2")
    assert "0.86.1 stays in use" in command
    assert install(True) == []
    assert rollout_joins == ["test-host"]  # nothing to install: no place in a batch


class GateHost:
    name = "c2"
    executing_op_hash = "aider"

    def __init__(self):
        self.said: list[str] = []

    def log_styled(self, message, **kwargs):
        self.said.append(message)


@pytest.mark.parametrize("failed, max_failures, passes", [(0, 1, True), (1, 1, False),
                                                          (2, 3, True), (5, 0, True)])
def test_aider_s_rollout_gate_stops_at_the_threshold(monkeypatch, failed, max_failures, passes):
    turns, held = [], []
    monkeypatch.setattr(aider.rollout, "wait_turn",
                        lambda state, host, op_hash, batch: turns.append((op_hash, batch)))
    monkeypatch.setattr(aider.rollout, "failed_clients", lambda state: failed)
    monkeypatch.setattr(aider.rollout, "hold",
                        lambda state, host, op_hash: held.append(host.name))
    host = GateHost()
    assert aider.rollout.gate(None, host, "Aider 0.86.2", "0.86.1", 2, max_failures) is passes
    assert turns == [("aider", 2)]  # its turn first, in inventory order
    assert held == ([] if passes else ["c2"])  # stopped here: not counted as failed
    assert host.said == ([] if passes else [
        f"Aider 0.86.2 not installed: the rollout stopped after {failed} client(s) failed; "
        "0.86.1 stays in use."])


def test_aider_checked_with_pipx_keeps_pipx_in_the_version_folder():
    (command,) = install(False, installer="pipx", previous=None)
    assert install_line(command) == (
        f"env PIPX_HOME={TARGET_A} PIPX_BIN_DIR={TARGET_A}/bin PIPX_MAN_DIR={TARGET_A}/man "
        f"/x/pipx install --python {PY} aider-chat==0.86.2")
    assert "no Aider stays in use" in command


def test_aider_install_options_for_a_wheelhouse_and_an_index():
    wheels = "http://100.64.0.254:8080/wheels/"
    assert install_line(install(False, find_links=wheels)[0]).endswith(
        f"{UV} tool install --python {PY} --no-index --find-links {wheels} aider-chat==0.86.2")
    assert install_line(install(False, index_url="https://pypi.corp/simple",
                                find_links=wheels)[0]).endswith(
        f"--index-url https://pypi.corp/simple --find-links {wheels} aider-chat==0.86.2")
    pipx = install_line(install(False, installer="pipx", find_links=wheels)[0])
    assert pipx.endswith(
        f"/x/pipx install --python {PY} '--pip-args=--no-index --find-links {wheels} "
        "--trusted-host 100.64.0.254' aider-chat==0.86.2")


# A stand-in for uv: it makes what `uv tool install` makes where UV_TOOL_BIN_DIR says (the
# command's link), here a script that prints what real Aider's --version prints ("aider
# 0.86.2", tests/e2e/test_fleet.py), or a wrong version, or fails outright.
FAKE_UV = """#!/bin/sh
mkdir -p "$UV_TOOL_DIR/aider-chat/bin" "$UV_TOOL_BIN_DIR"
[ "$FAKE_SAYS" = fail ] && { echo "error: No solution found" >&2; exit 1; }
printf '#!/bin/sh\necho "%s"\n' "$FAKE_SAYS" > "$UV_TOOL_DIR/aider-chat/bin/aider"
chmod 755 "$UV_TOOL_DIR/aider-chat/bin/aider"
ln -s "$UV_TOOL_DIR/aider-chat/bin/aider" "$UV_TOOL_BIN_DIR/aider"
"""


def _run_install(tmp_path, says: str):
    import subprocess

    uv = tmp_path / "uv"
    uv.write_text(FAKE_UV)
    uv.chmod(0o755)
    root = tmp_path / "aider"
    (command,) = aider_checked({key(PathExists, path=f"{root}/0.86.2-py3.11/.checked"): False},
                               installer="uv", tool=str(uv), version="0.86.2", python=PY,
                               python_minor="3.11", root=str(root), previous="0.86.1")
    done = subprocess.run(["sh", "-c", command], capture_output=True, text=True,
                          env={**os.environ, "FAKE_SAYS": says})
    return done, root / "0.86.2-py3.11"


def test_aider_checked_marks_a_version_that_prints_the_pin(tmp_path):
    done, target = _run_install(tmp_path, "aider 0.86.2")
    assert done.returncode == 0, done.stderr
    assert (target / ".checked").exists()
    assert (target / "bin/aider").exists()


@pytest.mark.parametrize("says, why", [
    ("aider 0.86.3", "--version says 'aider 0.86.3'"),
    ("", "--version says ''"),
])
def test_aider_checked_removes_a_version_that_fails_its_check(tmp_path, says, why):
    done, target = _run_install(tmp_path, says)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        f"Aider 0.86.2 failed its check ({why}); 0.86.1 stays in use")
    assert not target.exists()


def test_aider_checked_says_when_the_install_itself_fails(tmp_path):
    done, target = _run_install(tmp_path, "fail")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "Aider 0.86.2: the install failed; 0.86.1 stays in use")
    assert not target.exists()


@pytest.mark.parametrize("current, expected", [
    ({"kind": "absent"}, "switch"),
    ({"kind": "link", "target": f"{ROOT_A}/0.86.1-py3.11/bin/aider"}, "switch"),
    ({"kind": "link", "target": "/home/dev/.local/share/uv/tools/aider-chat/bin/aider"},
     "switch"),
    ({"kind": "link", "target": "/home/dev/.local/share/pipx/venvs/aider-chat/bin/aider"},
     "switch"),
    ({"kind": "link", "target": f"{TARGET_A}/bin/aider"}, "keep"),
    ({"kind": "link", "target": "/opt/aider/bin/aider"}, "keep"),
    ({"kind": "other"}, "keep"),
])
def test_aider_link_switches_atomically_what_is_ours_or_an_installers(current, expected):
    commands = run_op(aider.aider_link, {key(SymlinkTarget, path=LINK_A): current},
                      link=LINK_A, target=f"{TARGET_A}/bin/aider", root=ROOT_A)
    switch = [f"mkdir -p /home/dev/.local/bin && ln -sfn {TARGET_A}/bin/aider {LINK_A}.new "
              f"&& mv -f {LINK_A}.new {LINK_A}"]
    assert commands == (switch if expected == "switch" else [])


def test_aider_link_switch_is_atomic_in_a_real_shell(tmp_path):
    import subprocess

    old, new = tmp_path / "old", tmp_path / "new"
    old.write_text("old")
    new.write_text("new")
    link = tmp_path / "bin/aider"
    for target in (old, new):  # absent, then ours: the same command works for both
        subprocess.run(["sh", "-c", claude_code.relink(str(link), str(target))], check=True)
        assert os.readlink(link) == str(target)


@pytest.mark.parametrize("target, found", [
    (f"{ROOT_A}/0.86.2-py3.11/bin/aider", {"version": "0.86.2", "python": "3.11"}),
    (f"{ROOT_A}/1.0.0rc1-py3.12/bin/aider", {"version": "1.0.0rc1", "python": "3.12"}),
    (f"{ROOT_A}/0.86.2/bin/aider", None),
    ("/home/dev/.local/share/uv/tools/aider-chat/bin/aider", None),
    (f"{ROOT_A}/0.86.2-py3.11/bin/aider-other", None),
])
def test_aider_in_use_reads_the_link(target, found):
    assert aider.in_use({"kind": "link", "target": target}, ROOT_A) == found
    assert aider.in_use({"kind": "absent"}, ROOT_A) is None


def test_aider_versions_pruned_removes_only_other_version_folders():
    facts = {key(DirectoryEntries, path=ROOT_A): ["0.86.1-py3.11", "0.86.2-py3.11",
                                                  "0.86.2-py3.12", "notes"]}
    assert run_op(aider.versions_pruned, facts, keep="0.86.2-py3.11", root=ROOT_A) == [
        f"rm -rf {ROOT_A}/0.86.1-py3.11", f"rm -rf {ROOT_A}/0.86.2-py3.12"]
    facts = {key(DirectoryEntries, path=ROOT_A): ["0.86.2-py3.11"]}
    assert run_op(aider.versions_pruned, facts, keep="0.86.2-py3.11", root=ROOT_A) == []


def test_aider_absent():
    facts = {key(AiderInstall, installer="uv"): {"version": "0.86.2", "python": "3.11"}}
    assert run_op(aider.aider_absent, facts, installer="uv", tool=UV) == [
        f"{UV} tool uninstall aider-chat"]
    # uv's uninstall deletes the link it made, even re-pointed at ours: put back at once
    assert run_op(aider.aider_absent, facts, installer="uv", tool=UV,
                  relink=(LINK_A, f"{TARGET_A}/bin/aider")) == [
        f"{UV} tool uninstall aider-chat && mkdir -p /home/dev/.local/bin && "
        f"ln -sfn {TARGET_A}/bin/aider {LINK_A}.new && mv -f {LINK_A}.new {LINK_A}"]
    facts = {key(AiderInstall, installer="pipx"): None}
    assert run_op(aider.aider_absent, facts, installer="pipx", tool="/x/pipx") == []


def test_tool_venv_installs_uv_for_the_user_unless_on_the_path():
    args = dict(program="uv", venv="/h/.local/share/remote-ollama/uv", link="/h/.local/bin/uv")
    assert run_op(aider.tool_venv, {key(CommandPath, program="uv"): UV}, **args) == []
    wheels = "http://100.64.0.254:8080/wheels/"
    commands = run_op(aider.tool_venv, {key(CommandPath, program="uv"): None},
                      find_links=wheels, **args)
    assert commands == [
        "python3 -m venv /h/.local/share/remote-ollama/uv && "
        "/h/.local/share/remote-ollama/uv/bin/pip install -q --disable-pip-version-check "
        f"--no-index --find-links {wheels} --trusted-host 100.64.0.254 uv && "
        "mkdir -p /h/.local/bin && ln -sfn /h/.local/share/remote-ollama/uv/bin/uv /h/.local/bin/uv"
    ]


# --- Claude Code -----------------------------------------------------------------------

ROOT = "/h/.local/share/remote-ollama/claude-code"
URL = claude_code.tarball_url("https://registry.npmjs.org/", "linux", "x64", "2.1.332")
LINK = "/h/.local/bin/claude"


def test_tarball_url_follows_the_npm_layout():
    assert URL == ("https://registry.npmjs.org/@anthropic-ai/claude-code-linux-x64/-/"
                   "claude-code-linux-x64-2.1.332.tgz")


def _package(tmp_path, content=b"#!/bin/sh\necho claude\n"):
    """A tarball laid out like the npm package (package/claude) and its sha512."""
    import hashlib
    import io
    import tarfile

    tgz = tmp_path / "pkg.tgz"
    with tarfile.open(tgz, "w:gz") as archive:
        info = tarfile.TarInfo("package/claude")
        info.size, info.mode = len(content), 0o755
        archive.addfile(info, io.BytesIO(content))
    return tgz, hashlib.sha512(tgz.read_bytes()).hexdigest()


def test_install_command_checks_the_sha512_before_unpacking(tmp_path):
    import subprocess

    tgz, sha512 = _package(tmp_path)
    target = tmp_path / "root" / "2.1.332"
    bad = subprocess.run(["sh", "-c", claude_code.install_command(
        f"file://{tgz}", "00" * 64, str(target))], capture_output=True, text=True)
    assert bad.returncode != 0 and "does not match the registry sha512" in bad.stderr
    assert not target.exists() and not (tmp_path / "root" / "2.1.332.partial").exists()
    subprocess.run(["sh", "-c", claude_code.install_command(f"file://{tgz}", sha512,
                                                            str(target))], check=True)
    assert sorted(p.name for p in target.iterdir()) == ["claude"]  # the tarball is gone
    assert subprocess.run([target / "claude"], capture_output=True, text=True).stdout == (
        "claude\n")


def test_registry_sha512_reads_dist_integrity_and_fails_clearly(tmp_path):
    import base64
    import json

    from pyinfra.api import OperationError

    digest = bytes(range(64))
    doc = {"versions": {"2.1.332": {"dist": {
        "integrity": f"sha1-AAAA sha512-{base64.b64encode(digest).decode()}"}}}}
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps(doc))
    assert claude_code.registry_sha512(f"file://{meta}", "2.1.332") == digest.hex()
    with pytest.raises(OperationError, match=r"Claude Code 9\.9\.9: could not read its sha512"):
        claude_code.registry_sha512(f"file://{meta}", "9.9.9")
    with pytest.raises(OperationError, match="could not read"):
        claude_code.registry_sha512(f"file://{tmp_path}/missing.json", "2.1.332")
    sha1_only = tmp_path / "sha1-only.json"
    sha1_only.write_text(json.dumps({"versions": {"2.1.332": {"dist": {"integrity": "sha1-AAAA"}}}}))
    with pytest.raises(OperationError, match="gives no sha512"):
        claude_code.registry_sha512(f"file://{sha1_only}", "2.1.332")


def link(current, op=claude_code.command_link, **kwargs):
    return run_op(op, {key(SymlinkTarget, path=LINK): current}, link=LINK,
                  owned_prefix=ROOT + "/", **kwargs)


def test_command_link_never_replaces_someone_elses_claude():
    target = f"{ROOT}/2.1.332/claude"
    switch = [f"mkdir -p /h/.local/bin && ln -sfn {target} {LINK}.new && mv -f {LINK}.new {LINK}"]
    assert link({"kind": "absent"}, target=target) == switch
    assert link({"kind": "link", "target": target}, target=target) == []
    assert link({"kind": "link", "target": f"{ROOT}/2.1.300/claude"}, target=target) == switch
    cloud = {"kind": "link", "target": "/h/.local/share/claude/versions/2.2.0"}
    assert link(cloud, target=target) == []
    assert link({"kind": "other"}, target=target) == []


def test_command_link_absent_removes_only_our_link():
    absent = claude_code.command_link_absent
    assert link({"kind": "link", "target": f"{ROOT}/2.1.332/claude"}, op=absent) == [
        f"rm -f {LINK}"]
    assert link({"kind": "link", "target": "/h/.local/share/claude/x"}, op=absent) == []
    assert link({"kind": "other"}, op=absent) == []
    assert link({"kind": "absent"}, op=absent) == []


@pytest.mark.parametrize("users", [json.dumps(OFF), json.dumps(OFF, indent=4), OFF_FILE.rstrip("\n")])
def test_json_unmerged_keeps_a_file_it_did_not_write_even_when_only_our_key_was_in_it(users):
    # only a file that is byte for byte the one json_merged creates is deleted (issue 13)
    commands = json_op(json_settings.json_unmerged, users)
    assert not any(c.startswith("rm ") for c in commands if isinstance(c, str))
    assert json.loads(uploaded(commands, SETTINGS)) == {}


def test_status_reads_the_aider_version_in_use_from_our_link():
    """`remote-ollama status` shows the version ~/.local/bin/aider runs (issue 15), and
    uv's or pipx's own install on a machine not converged since."""
    from remote_ollama.status.export import client_view
    from tests.plan.clients import client_settings

    link = {"kind": "link", "target": f"{ROOT_A}/0.86.1-py3.11/bin/aider"}
    seen = {"aider": aider.in_use(link, ROOT_A), "aider_uv": None, "aider_pipx": None}
    assert client_view(client_settings(), seen)["aider"] == "0.86.1"
    seen = {"aider": None, "aider_uv": None, "aider_pipx": {"version": "0.85.0", "python": "3.11"}}
    assert client_view(client_settings(), seen)["aider"] == "0.85.0"


@given(version=st.from_regex(VERSION_RE, fullmatch=True),
       python=st.from_regex(r"3\.[0-9]{1,2}", fullmatch=True))
def test_aider_in_use_reads_back_every_valid_pin(version, python):
    """Any version the schema accepts, and its Python, survive the folder name and link:
    the no-op check and `status` read back exactly the pin."""
    link = {"kind": "link", "target": aider.binary(ROOT_A, version, python)}
    assert aider.in_use(link, ROOT_A) == {"version": version, "python": python}
    assert aider.owns_link(link, ROOT_A)
