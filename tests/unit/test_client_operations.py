"""Client operations: facts in, commands out; applying the result again yields nothing."""

from __future__ import annotations

import json

import pytest
from pyinfra.api import OperationError

from remote_ollama.facts.client import (
    AiderInstall,
    CommandPath,
    DirectoryEntries,
    SymlinkTarget,
)
from remote_ollama.facts.files import ManagedFile, PathExists
from remote_ollama.operations import aider, claude_code, json_settings, owned_files, profile
from tests.unit.ops import key, run_op

S, E = "# >>> remote-ollama env >>>", "# <<< remote-ollama env <<<"
CS, CE = "# >>> remote-ollama claude-ollama >>>", "# <<< remote-ollama claude-ollama <<<"
RC = "/home/dev/.bashrc"


def uploaded(commands: list[str], path: str) -> str:
    """The text uploaded for ``path`` (profiles are uploaded next to it, then put in place)."""
    upload = next(c for c in commands if c.startswith((f"UPLOAD {path}\n",
                                                       f"UPLOAD {path}.remote-ollama-new\n")))
    return upload.split("\n", 1)[1]


def text(content, mode="644"):
    return None if content is None else {"mode": mode, "content": content}


# --- profile blocks ------------------------------------------------------------------

def blocks_on(content, blocks, mode="644"):
    return run_op(profile.marker_blocks, {key(ManagedFile, path=RC): text(content, mode)},
                  path=RC, blocks=blocks)


PROFILE_CASES = [
    # (before, blocks, after) -- after None means "no command"
    ("alias x=y\n", [(S, E, "body\n")], f"alias x=y\n\n{S}\nbody\n{E}\n"),
    ("no newline", [(S, E, "b")], f"no newline\n\n{S}\nb\n{E}\n"),
    (None, [(S, E, "b")], f"{S}\nb\n{E}\n"),
    (f"a\n{S}\nold\n{E}\nz\n", [(S, E, "new")], f"a\n{S}\nnew\n{E}\nz\n"),
    (f"a\n\n{S}\nb\n{E}\n", [(S, E, None)], "a\n"),
    (f"a\n{S}\nb\n{E}\nz\n\n{S}\nb\n{E}\n", [(S, E, "b")], f"a\n{S}\nb\n{E}\nz\n"),
    ("a\n", [(S, E, "e"), (CS, CE, "c")], f"a\n\n{S}\ne\n{E}\n\n{CS}\nc\n{CE}\n"),
    (f"a\n\n{S}\ne\n{E}\n\n{CS}\nc\n{CE}\n", [(S, E, "e"), (CS, CE, None)],
     f"a\n\n{S}\ne\n{E}\n"),
    (f"  {S}\nb\n  {E}\n", [(S, E, "b")], f"{S}\nb\n{E}\n"),  # indented: found, straightened
    (f"a\n\n{S}\nb\n{E}\n", [(S, E, "b")], None),
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


def test_marker_blocks_keep_the_files_mode_and_delete_a_file_left_empty():
    assert blocks_on("x\n", [(S, E, "b")], mode="600")[-1] == f"chmod 600 {RC}"
    assert blocks_on(f"{S}\nb\n{E}\n", [(S, E, None), (CS, CE, None)]) == [
        f"if [ -L {RC} ]; then : > {RC}; else rm -f {RC}; fi"]  # a link's target is kept
    assert blocks_on(None, [(S, E, None)]) == []
    assert blocks_on("user stuff\n", [(S, E, None)]) == []


def test_a_profile_that_is_a_symlink_stays_one_and_its_target_gets_the_text(tmp_path):
    """A dotfile manager's link: the text goes into the target; a plain file is replaced
    whole by a rename. Run in a real shell, the upload played by writing the new file."""
    import os
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


@pytest.mark.parametrize("broken", [f"{S}\nb\n", f"b\n{E}\n", f"{E}\n{S}\n", f"{S}\n{S}\n{E}\n"])
def test_marker_blocks_refuse_unmatched_markers(broken):
    with pytest.raises(OperationError, match="unmatched"):
        blocks_on(broken, [(S, E, "b")])


def test_add_then_remove_round_trips_a_users_file():
    original = "# mine\nexport A=1\n"
    added = uploaded(blocks_on(original, [(S, E, "b"), (CS, CE, "c")]), RC)
    assert uploaded(blocks_on(added, [(S, E, None), (CS, CE, None)]), RC) == original


# --- JSON settings ---------------------------------------------------------------------

SETTINGS = "/home/dev/.claude/settings.json"
OFF = {"env": {"DISABLE_AUTOUPDATER": "1"}}


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
        (folder / "settings.json").write_text(json.dumps(OFF))
        if extra:
            (folder / extra).write_text("{}\n")
        path = str(folder / "settings.json")
        (command,) = run_op(json_settings.json_unmerged,
                            {key(ManagedFile, path=path): text(json.dumps(OFF))},
                            path=path, values=OFF)
        subprocess.run(["sh", "-c", command], check=True)
        assert folder.exists() == bool(extra)
        assert not (folder / "settings.json").exists()


def test_json_unmerged_takes_out_only_our_value():
    both = json.dumps({"env": {"FOO": "bar", "DISABLE_AUTOUPDATER": "1"}})
    assert json.loads(uploaded(json_op(json_settings.json_unmerged, both), SETTINGS)) == {
        "env": {"FOO": "bar"}}
    folder = SETTINGS.rsplit("/", 1)[0]
    assert json_op(json_settings.json_unmerged, json.dumps(OFF)) == [
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


def test_shell_profiles_edit_each_file_in_one_operation():
    zshrc, zprofile = "/home/dev/.zshrc", "/home/dev/.zprofile"
    facts = {key(ManagedFile, path=zshrc): text(f"a\n\n{S}\nb\n{E}\n"),
             key(ManagedFile, path=zprofile): text(None)}
    commands = run_op(profile.shell_profiles, facts, files={
        zshrc: [(S, E, "b")], zprofile: [(S, E, "b")]})
    assert commands == [f"UPLOAD {zprofile}.remote-ollama-new\n{S}\nb\n{E}\n",
                        profile.write_through(zprofile + ".remote-ollama-new", zprofile),
                        f"chmod 644 {zprofile}"]
    assert run_op(profile.shell_profiles, facts, files={zshrc: [(S, E, "b")],
                                                        zprofile: [(S, E, None)]}) == []


def test_directory_absent_if_empty():
    def op(found):
        return run_op(owned_files.directory_absent_if_empty,
                      {key(DirectoryEntries, path="/h/.ai-client"): found},
                      path="/h/.ai-client", ignoring=["env", ".version-lock"])
    assert op(["env"]) == ["rmdir /h/.ai-client"]
    assert op(["env", "notes.txt"]) == []
    assert op(None) == []


# --- uv, pipx, Aider -------------------------------------------------------------------

UV = "/home/dev/.local/bin/uv"
PY = "/usr/bin/python3.11"


def install(current, installer="uv", **kwargs):
    args = dict(installer=installer, tool=UV if installer == "uv" else "/x/pipx",
                version="0.86.2", python=PY, python_minor="3.11")
    return run_op(aider.aider_installed, {key(AiderInstall, installer=installer): current},
                  **{**args, **kwargs})


def test_aider_installed_fresh_then_converged():
    assert install(None) == [f"{UV} tool install --python {PY} aider-chat==0.86.2"]
    assert install({"version": "0.86.2", "python": "3.11"}) == []


@pytest.mark.parametrize("current", [{"version": "0.86.3", "python": "3.11"},
                                     {"version": "0.85.0", "python": "3.11"},
                                     {"version": "0.86.2", "python": "3.12"}])
def test_aider_installed_forces_a_different_version_or_python(current):
    assert install(current) == [f"{UV} tool install --force --python {PY} aider-chat==0.86.2"]


def test_aider_install_options_for_a_wheelhouse_and_an_index():
    wheels = "http://100.64.0.254:8080/wheels/"
    assert install(None, find_links=wheels) == [
        f"{UV} tool install --python {PY} --no-index --find-links {wheels} aider-chat==0.86.2"]
    assert install(None, index_url="https://pypi.corp/simple", find_links=wheels)[0].endswith(
        f"--index-url https://pypi.corp/simple --find-links {wheels} aider-chat==0.86.2")
    pipx = install(None, installer="pipx", find_links=wheels)
    assert pipx == [
        f"/x/pipx install --python {PY} '--pip-args=--no-index --find-links {wheels} "
        "--trusted-host 100.64.0.254' aider-chat==0.86.2"]


def test_aider_absent():
    facts = {key(AiderInstall, installer="uv"): {"version": "0.86.2", "python": "3.11"}}
    assert run_op(aider.aider_absent, facts, installer="uv", tool=UV) == [
        f"{UV} tool uninstall aider-chat"]
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


META = claude_code.metadata_url("https://registry.npmjs.org/", "linux", "x64")


def binary(present, entries, version="2.1.332"):
    facts = {key(PathExists, path=f"{ROOT}/{version}/claude"): present,
             key(DirectoryEntries, path=ROOT): entries}
    return run_op(claude_code.binary_installed, facts, version=version, url=URL, metadata=META,
                  root=ROOT)


@pytest.fixture
def registry(monkeypatch):
    asked = []
    monkeypatch.setattr(claude_code, "registry_sha512",
                        lambda url, version: asked.append((url, version)) or "ab" * 64)
    return asked


def test_binary_installed_downloads_once_then_is_a_no_op(registry):
    fresh = binary(False, None)
    assert fresh == [claude_code.install_command(URL, "ab" * 64, f"{ROOT}/2.1.332")]
    assert registry == [(META, "2.1.332")]
    assert binary(True, ["2.1.332"]) == []
    assert len(registry) == 1  # installed: the registry is not asked


def test_binary_installed_downgrade_installs_the_pin_and_drops_the_other_version(registry):
    commands = binary(False, ["2.1.332"], version="2.1.300")
    assert "claude-code-linux-x64-2.1.332.tgz" in commands[0]  # URL given by the caller
    assert commands[1:] == [f"rm -rf {ROOT}/2.1.332"]


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
    assert link({"kind": "absent"}, target=target) == [
        "mkdir -p /h/.local/bin", f"ln -s {target} {LINK}"]
    assert link({"kind": "link", "target": target}, target=target) == []
    assert link({"kind": "link", "target": f"{ROOT}/2.1.300/claude"}, target=target) == [
        f"ln -sfn {target} {LINK}.new && mv -f {LINK}.new {LINK}"]
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
