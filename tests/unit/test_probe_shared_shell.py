"""The probe's sections share one shell where they can (``probe.changes_shell``), and the
managed files travel as they are inside the probe's base64 wire (``ManagedFiles(raw=True)``).

What must hold, shown in a real ``sh``: no section changes what a later one sees (its
directory, options, traps, mask, limits, the variables commands read), and every byte of
every file arrives, whatever the files hold (marker lines, the end marker, CR, bytes that
are not UTF-8, no final newline).
"""

from __future__ import annotations

import os
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyinfra.api import FactBase

from remote_ollama import probe
from remote_ollama.facts.files import EOF_MARK, ManagedFile, ManagedFiles
from tests.unit.test_probe import host_lines
from tests.unit.test_probe_properties import SECTIONS, deploy_requests

# What a later section could be told by an earlier one: printed by the section after it.
STATE = ("pwd; set +o | LC_ALL=C sort; trap; umask; ulimit -n; "
         'printf "IFS=%s PATH=%s LANG=%s\\n" "$(printf %s "$IFS" | od -An -c)" "$PATH" '
         '"${LANG-unset}"; x=mine; echo "x=$x"')  # a section's x is its own, and writable


def fact_of(command: str, slow: bool = False) -> type[FactBase]:
    """A fact that runs ``command``; with ``slow``, in a pipeline stage of its own."""

    class Raw(FactBase):
        SLOW = slow

        def command(self) -> str:
            return command

    return Raw


# dash (Debian's sh, as on the testbed) and bash in POSIX mode (macOS's /bin/sh is bash
# 3.2 started as sh, which turns POSIX mode on).
SHELLS = [["sh", "-c"], ["bash", "--posix", "-c"]]


def state_after(first: str | None, shell: list[str]) -> tuple[int, list[str]]:
    """The ``state`` section of a probe whose first section runs ``first`` (none: alone)."""
    requests = {"first": (fact_of(first), {})} if first else {}
    requests["state"] = (fact_of(STATE), {})
    out = subprocess.run([*shell, probe.probe_script(requests)], capture_output=True,
                         check=True).stdout.split(b"\n")
    return probe.Probe().process([line.decode() for line in out])["state"]


# Commands that change the shell running them, and ones that do not (each as a fact writes
# them: a complete list). The first kind must get a subshell; the second need not.
CHANGING = [
    "cd /", "cd /tmp && echo x", "exit 3", "exec 3>/dev/null", "set -f", "set -e; false",
    "set +o noclobber", "trap 'echo bye' EXIT", "umask 077", "ulimit -n 64",
    "readonly x=1", "export x=1", "unset PATH", "eval 'x=1'", "IFS=:", "PATH=/nowhere",
    "LANG=C", "x=1; IFS=,", 'IFS=, :', "shift", "alias ls=true", "true; cd /; true",
    'if true; then cd /; fi', "for d in /; do cd $d; done", ". /dev/null; IFS=x",
    "true; . /dev/null", "f() { :; }", "curl () { echo fake; }", "getopts ab o -a",
    "LANG=C :", 'PATH="$(echo /x)"; true', "IFS=' ' eval true", "A=1 B=2 true; B=3",
    'PATH="a b" ', "X=`echo 1` true",
]
KEEPING = [
    "echo hi", 'set --; for p in a b; do set -- "$@" "$p"; done; echo $#',
    'set -- $(echo Linux x86_64); echo "uname=$2"', 'out=$(echo x); printf "%s\\n" "$out"',
    "[ -r /etc/hostname ] && echo yes", 'x=1; y="${x:-2}"; echo "$x: $y"',
    "echo exited; echo cdrom", "stat -L -c %a / 2>/dev/null || true",
    'PATH="$PATH:/x" command -v sh', "IFS= read -r line < /dev/null; echo \"$line\"",
    'LC_ALL=C sort < /dev/null', 'for f in ./x/* ./x/.[!.]* ./x/..?*; do echo "$f"; done',
    "echo \"shell=$(dscl . -read /Users/x UserShell 2>/dev/null)\"",
    'PATH="$(echo "$PATH"):/x" command -v sh',
]


def test_changes_shell_flags_every_command_that_changes_the_shell():
    for command in CHANGING:
        assert probe.changes_shell(command), command
        assert f"( {command} )" in probe.section_script("s", fact_of(command), {}), command


@pytest.mark.parametrize("shell", SHELLS, ids=["dash", "bash-posix"])
@pytest.mark.parametrize("command", CHANGING + KEEPING)
def test_no_section_changes_what_the_next_one_sees(command, shell):
    """Whatever a section ran, in a subshell or in the probe's own shell, the next section's
    view of the shell is the one it has alone."""
    assert state_after(command, shell) == state_after(None, shell)


def test_sections_that_keep_the_shell_run_in_it():
    for command in KEEPING:
        script = probe.section_script("s", fact_of(command), {})
        assert f"{{ {command}; }}" in script and f"( {command} )" not in script, command


@pytest.mark.parametrize("shell", SHELLS, ids=["dash", "bash-posix"])
@pytest.mark.parametrize("name", sorted(SECTIONS))
def test_each_real_section_leaves_the_shell_as_it_found_it(name, shell):
    """Every section the deploys send (default settings, both deploys), run here before the
    state section: where tools are missing (macOS's), each takes its other branch."""
    requests = {}
    for asked in deploy_requests():
        requests.update({n: r for n, r in probe.batched(asked)[0].items() if n == name})
    cls, kwargs = requests[name]
    kwargs = probe._relative(kwargs)  # as the probe sends it (``~/x`` -> ``./x``)
    command = cls().command(**kwargs)
    command = getattr(command, "get_raw_value", lambda: command)()
    assert state_after(command, shell) == state_after(None, shell)


_words = st.sampled_from(["cd", "exit", "set -f", "umask", "trap", "export", "eval", "unset"])
_assignments = st.sampled_from(["IFS=", "PATH=/x", 'LANG="a b"', "CDPATH=$(echo /)", "X=''"])
_around = st.sampled_from(["", " ", ";", "; ", "&& ", "|| ", "(", "{ ", "if ", "do ", "then "])


@given(before=_around, word=_words, after=st.sampled_from([" /", " 1", " 022", " '' INT", ";", ""]))
def test_a_shell_changing_word_anywhere_a_command_starts_is_flagged(before, word, after):
    assert probe.changes_shell(f"echo a{before and ';'} {before}{word}{after}")


@given(before=_around, word=_assignments,
       after=st.sampled_from([";", "", " ", "; true", " :", " eval x", " export", " Y=1 true", " &&"]))
def test_an_upper_case_assignment_that_outlives_its_command_is_flagged(before, word, after):
    assert probe.changes_shell(f"echo a{before and ';'} {before}{word}{after}")


def raw_batch_through_the_probe(tmp_path, contents: list[bytes]) -> dict | None:
    paths = []
    for n, data in enumerate(contents):
        path = tmp_path / f"f{n}"
        path.write_bytes(data)
        paths.append(str(path))
    sections = probe.Probe().process(host_lines(probe.probe_script(
        {"batch": (ManagedFiles, {"paths": [*paths, str(tmp_path / "missing")], "raw": True})})))
    return probe.parse_section(ManagedFiles, *sections["batch"]), paths


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(contents=st.lists(st.one_of(
    st.binary(max_size=60),
    st.sampled_from([b"", b"\n", b"a\r\nb", b"no newline", b"\xff\xfe\n", b"\n\n\n",
                     EOF_MARK.encode(), b"\n" + EOF_MARK.encode() + b"\n",
                     b"@@stat\n@@raw\n@@content\n", f"{probe.END} batch 0 0\n".encode(),
                     f"{probe.BEGIN} x 0\n".encode()]),
), min_size=1, max_size=4))
def test_raw_batch_carries_every_byte_of_every_file_through_the_probe(tmp_path_factory, contents):
    tmp_path = tmp_path_factory.mktemp("raw")
    found, paths = raw_batch_through_the_probe(tmp_path, contents)
    assert found is not None
    assert {p: v["content"].encode("utf-8", "surrogateescape") for p, v in found.items()} == \
        dict(zip(paths, contents, strict=True))
    assert all(v["mode"] == "644" and v["links"] == 1 for v in found.values())


def test_raw_batch_gives_what_the_base64_batch_and_the_lone_fact_give(tmp_path):
    os.umask(0o022)
    contents = [b"one\ntwo\n", b"", "ünïcode".encode(), b"\xff bytes", b"\n\n"]
    found, paths = raw_batch_through_the_probe(tmp_path, contents)
    os.chmod(paths[0], 0o600)
    found, paths = raw_batch_through_the_probe(tmp_path, contents)
    encoded = subprocess.run(["sh", "-c", ManagedFiles().command(paths)], capture_output=True,
                             check=True).stdout.decode("utf-8", "surrogateescape").split("\n")
    assert found == ManagedFiles().process(encoded)
    for path in paths:
        lone = subprocess.run(["sh", "-c", ManagedFile().command(path)], capture_output=True,
                              check=True).stdout.decode().split("\n")[:-1]
        assert found[path] == ManagedFile().process(lone)
    assert found[paths[0]]["mode"] == "600"


def test_raw_batch_that_does_not_add_up_is_none():
    """The file grew or shrank between ``stat`` and ``cat``, or the marker is missing: the
    caller reads the files one by one (``probe._ask``)."""
    tail = ["", EOF_MARK]  # cat printed "abc\n", then the probe's "\n" and the marker
    assert ManagedFiles().process(["@@stat", "644 1 4 /x", "@@raw", "abc", *tail]) == {
        "/x": {"mode": "644", "links": 1, "content": "abc\n"}}
    assert ManagedFiles().process(["@@stat", "644 1 9 /x", "@@raw", "abc", *tail]) is None
    assert ManagedFiles().process(["@@stat", "644 1 2 /x", "@@raw", "abc", *tail]) is None
    assert ManagedFiles().process(["@@stat", "644 1 4 /x", "@@raw", "abc", ""]) is None
    assert ManagedFiles().process(["@@stat", "644 1 4 /x", "abc", *tail]) is None


def line_by_line_split(lines) -> dict[str, tuple[int, list[str]]]:
    """The probe's first parser, a line at a time: ``split_text`` must agree with it."""
    sections, nonce, name, body, end = {}, None, None, [], ""
    for line in lines:
        if name is None:
            words = line[len(probe.BEGIN) + 1:].split() if line.startswith(probe.BEGIN + " ") else []
            if words and nonce is None:
                nonce = " ".join(words[1:])
            if words and " ".join(words[1:]) == nonce:
                name, body, end = words[0], [], f"{probe.END} {words[0]} "
            continue
        code = probe._end_code(line, name, nonce) if line.startswith(end) else None
        if code is None:
            body.append(line)
            continue
        if body and body[-1] == "":
            body.pop()
        sections[name] = (code, body)
        name = None
    return sections


_marker_lines = st.sampled_from([
    f"{probe.BEGIN} a n", f"{probe.BEGIN} b n", f"{probe.BEGIN} a m", f"{probe.BEGIN} ",
    f"{probe.BEGIN} b n x", f"{probe.END} a 0 n", f"{probe.END} a 7 n", f"{probe.END} b -1 n",
    f"{probe.END} b 0 m", f"{probe.END} a x n", f"{probe.END} a 0", f"{probe.END} a ² n",
    f"x{probe.BEGIN} a n", f" {probe.END} a 0 n", f"{probe.END} a 0 n\r", "", "\r", "text",
])


@settings(max_examples=400)
@given(st.lists(_marker_lines | st.text(st.characters(blacklist_characters="\n"), max_size=6),
                max_size=14))
def test_split_text_reads_sections_exactly_as_the_line_by_line_parser(lines):
    """Lines as the probe's output splits them: none holds a newline."""
    assert probe.split_sections(lines) == line_by_line_split(lines)
