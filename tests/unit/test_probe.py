"""The batched probe: sections are split back and parsed by each fact's own process()."""

from __future__ import annotations

from remote_ollama.facts.launchd import LaunchdJob
from remote_ollama.facts.system import Architecture, MacSystem
from remote_ollama.probe import (
    BEGIN,
    END,
    MISSING,
    parse_section,
    probe_script,
    section_script,
    split_sections,
)


def test_split_sections_keeps_each_body_and_exit_code():
    output = [f"{BEGIN} a", "x", "y", f"{END} a 0", f"{BEGIN} b", f"{END} b 7", "noise"]
    assert split_sections(output) == {"a": (0, ["x", "y"]), "b": (7, [])}


def test_truncated_section_is_dropped_not_misattributed():
    assert split_sections([f"{BEGIN} a", "x"]) == {}


def test_failed_command_gives_the_fact_default_unless_the_fact_reads_failures():
    assert parse_section(Architecture, 1, ["arm64"]) is None
    assert parse_section(LaunchdJob, 113, ["Could not find service", "@@rc=113"]) == {
        "loaded": False
    }


def test_missing_required_command_gives_the_default():
    assert parse_section(MacSystem, 0, [MISSING]) is None


def test_section_script_guards_required_commands_and_records_exit_code():
    script = section_script("mem", MacSystem, {})
    assert script.startswith(f"echo '{BEGIN} mem'")
    assert "command -v sysctl" in script
    assert f"{END} mem %s" in script and '"$?"' in script


def host_lines(script: str, **env) -> list[str]:
    """Run a probe script locally; its stdout as pyinfra's SSH connector gives it: lines
    split on \\n only, each decoded as strict UTF-8 (paramiko's ``u()``), which raises on
    bytes that are not UTF-8."""
    import os
    import subprocess

    out = subprocess.run(["sh", "-c", script], capture_output=True, check=True,
                         env={**os.environ, **env}).stdout
    lines = out.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [line.decode("utf-8") for line in lines]


def test_output_without_a_final_newline_keeps_its_section_and_the_next(tmp_path):
    """`tailscale status --json` ends in a bare `}` (printf("%s")): the end marker must not
    be glued onto it, or the section and the Tailscale state are lost."""
    from remote_ollama.facts.tailscale import TailscaleStatus
    from remote_ollama.probe import Probe, probe_script

    cli = tmp_path / "tailscale"
    cli.write_text('#!/bin/sh\nprintf \'%s\' \'{\n  "BackendState": "Running",\n'
                   '  "Self": {"TailscaleIPs": ["100.64.0.10"]}\n}\'\n')
    cli.chmod(0o755)
    script = probe_script({"tailscale": (TailscaleStatus, {}), "arch": (Architecture, {})})
    sections = Probe().process(host_lines(script, PATH=f"{tmp_path}:/usr/bin:/bin"))
    status = parse_section(TailscaleStatus, *sections["tailscale"])
    assert status["state"] == "Running" and status["ipv4"] == "100.64.0.10"
    assert parse_section(Architecture, *sections["arch"])


def test_a_file_holding_marker_lines_cannot_end_or_forge_a_section(tmp_path):
    from remote_ollama.facts.files import ManagedFile
    from remote_ollama.probe import Probe, probe_script

    forged = (f"x\n{END} f 0\n{BEGIN} arch\nforged-arch\n{END} arch 0\n"
              f"{END} f 0 0\n{BEGIN} arch 0\nforged\n{END} arch 0 0\n")
    (tmp_path / "profile").write_text(forged)
    script = probe_script({"f": (ManagedFile, {"path": str(tmp_path / "profile")}),
                           "arch": (Architecture, {})})
    sections = Probe().process(host_lines(script))
    assert parse_section(ManagedFile, *sections["f"])["content"] == forged
    assert "forged" not in parse_section(Architecture, *sections["arch"])


def test_carriage_returns_and_bytes_that_are_not_utf8_reach_the_fact_unchanged(tmp_path):
    """pyinfra decodes each output line as strict UTF-8: one Latin-1 byte in a profile
    must not lose the probe. The bytes arrive as surrogates, exactly."""
    from remote_ollama.facts.files import ManagedFile
    from remote_ollama.probe import Probe, probe_script

    raw = b"caf\xe9\r\nexport A=1\r\n\x1e\xff"
    (tmp_path / "profile").write_bytes(raw)
    script = probe_script({"f": (ManagedFile, {"path": str(tmp_path / "profile")}),
                           "arch": (Architecture, {})})
    sections = Probe().process(host_lines(script))
    content = parse_section(ManagedFile, *sections["f"])["content"]
    assert content.encode("utf-8", "surrogateescape") == raw
    assert parse_section(Architecture, *sections["arch"])


def test_combined_script_runs_in_a_real_shell():
    import subprocess

    from remote_ollama.facts.files import PathExists

    requests = {"arch": (Architecture, {}), "tmp": (PathExists, {"path": "/tmp"}),
                "nope": (PathExists, {"path": "/definitely/not here"})}
    script = "; ".join(section_script(n, c, k) for n, (c, k) in requests.items())
    out = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True)
    sections = split_sections(out.stdout.splitlines())
    assert parse_section(Architecture, *sections["arch"]) == subprocess.run(
        ["uname", "-m"], capture_output=True, text=True).stdout.strip()
    assert parse_section(PathExists, *sections["tmp"]) is True
    assert parse_section(PathExists, *sections["nope"]) is False


def test_empty_homebrew_cellar_still_reads_as_installed(tmp_path, monkeypatch):
    """An empty Cellar must not make the section fail (a glob with no match)."""
    import subprocess

    from remote_ollama.facts import homebrew

    prefix = tmp_path / "homebrew"
    for folder in ("bin", "Cellar", "Caskroom"):
        (prefix / folder).mkdir(parents=True)
    (prefix / "bin" / "brew").write_text("#!/bin/sh\n")
    (prefix / "bin" / "brew").chmod(0o755)
    command = homebrew.BrewCellar().command().replace(homebrew.BREW_PREFIX, str(prefix))
    script = f"echo '{BEGIN} brew'; ( {command} ) 2>/dev/null; echo \"{END} brew $?\""
    out = subprocess.run(["sh", "-c", script], capture_output=True, text=True).stdout
    code, lines = split_sections(out.splitlines())["brew"]
    assert parse_section(homebrew.BrewCellar, code, lines) == {"formulae": {}, "casks": {}}


def test_managed_file_reads_files_with_and_without_a_final_newline(tmp_path):
    import subprocess

    from remote_ollama.facts.files import ManagedFile

    for text in ("a\nb\n", "a\nb", "", "\n\n"):
        path = tmp_path / "f"
        path.write_text(text)
        script = section_script("f", ManagedFile, {"path": str(path)})
        out = subprocess.run(["sh", "-c", script], capture_output=True, text=True).stdout
        code, lines = split_sections(out.splitlines())["f"]
        assert parse_section(ManagedFile, code, lines)["content"] == text


def test_home_paths_are_read_in_the_probes_home(tmp_path):
    import os
    import subprocess

    from remote_ollama.facts.files import ManagedFile, PathExists

    (tmp_path / "with space").mkdir()
    (tmp_path / "with space" / "f").write_text("x\n")
    requests = {"f": (ManagedFile, {"path": "~/with space/f"}),
                "nope": (PathExists, {"path": "~/nope"})}
    script = "; ".join(section_script(n, c, k) for n, (c, k) in requests.items())
    assert "~" not in script  # the shell never sees an unexpanded ~ (it would not expand)
    out = subprocess.run(["sh", "-c", script], capture_output=True, text=True, cwd="/",
                         env={**os.environ, "HOME": str(tmp_path)}).stdout
    sections = split_sections(out.splitlines())
    assert parse_section(ManagedFile, *sections["f"])["content"] == "x\n"
    assert parse_section(PathExists, *sections["nope"]) is False


def test_home_path_sections_fail_without_a_home():
    import subprocess

    from remote_ollama.facts.files import PathExists

    script = section_script("x", PathExists, {"path": "~/x"})
    out = subprocess.run(["sh", "-c", script], capture_output=True, text=True,
                         env={"HOME": "/definitely/not here", "PATH": "/usr/bin:/bin"}).stdout
    assert split_sections(out.splitlines())["x"][0] != 0  # the fact's default, not a guess


def test_a_probes_home_sections_share_one_subshell_and_fail_together_without_a_home(tmp_path):
    """probe_script: the home sections change to $HOME once, in one subshell; a home that
    cannot be entered fails each of them (their defaults), and the rest still answer."""
    import base64
    import subprocess

    from remote_ollama.facts.files import ManagedFile, PathExists
    from remote_ollama.facts.system import UserIdentity

    (tmp_path / "f").write_text("x\n")
    requests = {"identity": (UserIdentity, {}), "f": (ManagedFile, {"path": "~/f"}),
                "there": (PathExists, {"path": "~/f"}), "nope": (PathExists, {"path": "~/no"})}
    script = probe_script(requests)
    assert script.count('cd "$HOME"') == 1

    def run(home: str) -> dict:
        out = subprocess.run(["sh", "-c", script], capture_output=True, text=True, cwd="/",
                             env={"HOME": home, "PATH": "/usr/bin:/bin", "USER": "me"}).stdout
        lines = base64.b64decode(out.strip()).decode().split("\n")
        return split_sections(lines)

    found = run(str(tmp_path))
    assert parse_section(ManagedFile, *found["f"])["content"] == "x\n"
    assert parse_section(PathExists, *found["there"]) is True
    assert parse_section(PathExists, *found["nope"]) is False
    homeless = run("/definitely/not here")
    assert parse_section(UserIdentity, *homeless["identity"])["user"] == "me"
    assert set(homeless) == {"identity"}  # no home section answered: each reads as failed


def test_prime_caches_home_paths_under_the_absolute_path_too(monkeypatch):
    from remote_ollama import probe
    from remote_ollama.facts.files import PathExists
    from remote_ollama.facts.system import UserIdentity

    class Host:
        scripts: list[str] = []

        def get_fact(self, cls, script):
            self.scripts.append(script)
            return {"identity": (0, ["uid=501", "user=me", "home=/Users/me", "shell=/bin/zsh"]),
                    "batch.PathExists": (0, ["yes ./x"])}

    host = Host()
    monkeypatch.setattr(probe, "_stage_cache", lambda h, cache={}: cache)
    assert probe.prime(host, {"x": (PathExists, {"path": "~/x"})}) == {"x": True}
    assert "@@remote-ollama-probe-begin identity" in host.scripts[0]  # added: the home
    assert probe.fact(PathExists, host, path="/Users/me/x") is True
    assert probe.fact(UserIdentity, host)["home"] == "/Users/me"
    assert len(host.scripts) == 1


def test_file_digest_matches_pythons_sha256_in_a_real_shell(tmp_path):
    import hashlib
    import subprocess

    from remote_ollama.facts.files import FileDigest

    path = tmp_path / "tool.py"
    path.write_text("print('hi')\n")
    path.chmod(0o755)
    script = section_script("d", FileDigest, {"path": str(path)})
    out = subprocess.run(["sh", "-c", script], capture_output=True, text=True).stdout
    code, lines = split_sections(out.splitlines())["d"]
    assert parse_section(FileDigest, code, lines) == {
        "mode": "755", "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


def test_probe_output_travels_as_one_line_and_is_decoded_exactly():
    """The host's base64 and unfold() are inverses: empty lines, trailing spaces and a record
    separator, CR and a byte that is not UTF-8 in a file survive (files cross as base64);
    the wire carries one line."""
    import subprocess

    from remote_ollama.facts.files import ManagedFile, encode
    from remote_ollama.probe import Probe, probe_script

    content = b"first\n\n  indented  \nhas \x1e separator\r\n\xff\nno newline at end"
    path = "/tmp/remote-ollama-test-fold.txt"
    with open(path, "wb") as f:
        f.write(content)
    script = probe_script({"f": (ManagedFile, {"path": path}), "arch": (Architecture, {})})
    wire = host_lines(script)
    assert len(wire) == 1
    sections = Probe().process(wire)
    assert encode(parse_section(ManagedFile, *sections["f"])["content"]) == content
    assert parse_section(Architecture, *sections["arch"]) == subprocess.run(
        ["uname", "-m"], capture_output=True, text=True).stdout.strip()


def test_unfold_inverts_fold_and_ignores_what_a_profile_printed_before():
    from remote_ollama.probe import fold, unfold

    original = ["a", "", "b\x1ec\r", "d ", "\udce9"]
    assert unfold(fold(original)) == [*original, ""]
    assert unfold(["Welcome to my shell!", *fold(original)]) == [*original, ""]
    assert unfold(["not base64!"]) == [] and unfold([]) == []
    assert unfold([fold(["a", "b"])[0][:-1]]) == ["a", "b"]  # cut off: what arrived


def test_managed_files_batch_reads_many_files_exactly_in_a_real_shell(tmp_path):
    """One stat and one cat: modes, absent files, empty files, no final newline, UTF-8."""
    import os
    import subprocess

    from remote_ollama.facts.files import ManagedFile, ManagedFiles

    contents = {"a": "one\ntwo\n", "b": "", "c": "ünïcode, no newline", "d": "\n\n"}
    for name, text in contents.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    os.chmod(tmp_path / "a", 0o600)
    (tmp_path / "dir").mkdir()  # not a regular file: absent, as ManagedFile says
    paths = [str(tmp_path / n) for n in [*contents, "missing", "dir"]]
    out = subprocess.run(["sh", "-c", ManagedFiles().command(paths)], capture_output=True,
                         text=True, check=True).stdout
    found = ManagedFiles().process(out.split("\n"))
    assert {os.path.basename(p): v["content"] for p, v in found.items()} == contents
    assert found[str(tmp_path / "a")]["mode"] == "600"
    for path in paths:  # the same answers as the one-file fact
        lone = subprocess.run(["sh", "-c", ManagedFile().command(path)], capture_output=True,
                              text=True, check=True).stdout.split("\n")[:-1]
        assert found.get(path) == ManagedFile().process(lone)


def test_managed_files_batch_that_does_not_add_up_is_none():
    from remote_ollama.facts.files import EOF_MARK, ManagedFiles

    # stat said 5 bytes, cat gave 3 ("abc" in base64): the file changed between the reads
    assert ManagedFiles().process(["@@stat", "644 1 5 /x", "@@content", "YWJj", EOF_MARK]) is None
    assert ManagedFiles().process(["@@stat", "644 1 3 /x", "@@content", "YWJj", EOF_MARK]) == {
        "/x": {"mode": "644", "links": 1, "content": "abc"}}
    assert ManagedFiles().process(["@@stat", "garbage", "@@content", EOF_MARK]) is None
    assert ManagedFiles().process(["@@stat", "644 1 3 /x", "@@content", "abc!", EOF_MARK]) is None


def test_prime_reads_files_in_one_batch_and_asks_again_one_by_one_if_it_fails(monkeypatch):
    from remote_ollama import probe
    from remote_ollama.facts.files import EOF_MARK, ManagedFile, PathExists

    class Host:
        def __init__(self, batch_answer):
            self.scripts, self.batch_answer = [], batch_answer

        def get_fact(self, cls, script):
            self.scripts.append(script)
            return {"identity": (0, ["uid=501", "user=me", "home=/Users/me", "shell=/bin/zsh"]),
                    "batch.ManagedFile": (0, self.batch_answer),
                    "batch.PathExists": (0, ["yes /etc/x", "no ./y"]),
                    "a": (0, ["644 1", "QQ==", EOF_MARK]), "b": (0, ["@@remote-ollama-absent@@"])}

    requests = {"a": (ManagedFile, {"path": "~/a"}), "b": (ManagedFile, {"path": "/etc/b"}),
                "x": (PathExists, {"path": "/etc/x"}), "y": (PathExists, {"path": "~/y"})}
    good = Host(["@@stat", "644 1 1 ./a", "@@content", "QQ==", EOF_MARK])
    a = {"mode": "644", "links": 1, "content": "A"}
    monkeypatch.setattr(probe, "_stage_cache", lambda h, cache={}: cache)
    assert probe.prime(good, requests) == {"a": a, "b": None,
                                           "x": True, "y": False}
    assert len(good.scripts) == 1 and "probe-begin a'" not in good.scripts[0]
    assert probe.fact(ManagedFile, good, path="/Users/me/a") == a

    bad = Host(["@@stat", "644 1 9 ./a", "@@content", "QQ==", EOF_MARK])  # changed mid-read
    monkeypatch.setattr(probe, "_stage_cache", lambda h, cache={}: cache)
    assert probe.prime(bad, requests)["a"] == a
    assert len(bad.scripts) == 2 and "probe-begin a'" in bad.scripts[1]


def test_pyinfra_reads_the_base64_wire_where_raw_bytes_would_break_it(tmp_path):
    """pyinfra 3.10's connectors decode each output line as strict UTF-8
    (connectors/util.py read_buffer; paramiko's readline does the same with u()), so raw
    Latin-1 output raises there. The probe's wire is base64 and reads as one line."""
    from queue import Queue

    import pytest
    from pyinfra.connectors.util import read_buffer

    from remote_ollama.facts.files import ManagedFile
    from remote_ollama.probe import Probe, probe_script

    with pytest.raises(UnicodeDecodeError):
        read_buffer("stdout", [b"caf\xe9\n"], Queue())
    (tmp_path / "profile").write_bytes(b"caf\xe9\n")
    script = probe_script({"f": (ManagedFile, {"path": str(tmp_path / "profile")})})
    wire = Queue()
    out = subprocess_bytes(script)
    read_buffer("stdout", out.splitlines(keepends=True), wire)
    lines = [item.line for item in wire.queue]
    assert len(lines) == 1
    content = parse_section(ManagedFile, *Probe().process(lines)["f"])["content"]
    assert content.encode("utf-8", "surrogateescape") == b"caf\xe9\n"


def subprocess_bytes(script: str) -> bytes:
    import subprocess

    return subprocess.run(["sh", "-c", script], capture_output=True, check=True).stdout


def test_the_wire_is_base64_on_one_line_a_third_larger_than_the_output_not_twice():
    """od's hex doubled every byte (and formatted each one); base64 is 4/3 of them."""
    import subprocess

    from remote_ollama.probe import ENCODE, unfold

    output = bytes(range(256)) * 40 + b"\n"  # every byte value, 10 KiB
    wire = subprocess.run(["sh", "-c", ENCODE], input=output, capture_output=True,
                          check=True).stdout  # fmt: skip
    assert wire.count(b"\n") == 0  # GNU base64 wraps at 76; tr joins it again
    assert len(wire) <= len(output) * 4 // 3 + 4
    decoded = unfold([wire.decode("ascii")])
    assert "\n".join(decoded).encode("utf-8", "surrogateescape") == output


def test_architecture_on_linux_asks_uname_once_and_no_sysctl():
    """This machine's real uname (Linux): one line, the machine, and sysctl not asked."""
    import platform
    import subprocess

    out = subprocess.run(["sh", "-c", Architecture().command()], capture_output=True,
                         text=True, check=True, env={"PATH": "/usr/bin:/bin"}).stdout
    assert out.splitlines() == [f"uname={platform.machine()}"]
    assert Architecture().process(out.splitlines()) == platform.machine()
