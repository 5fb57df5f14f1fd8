"""The batched probe: sections are split back and parsed by each fact's own process()."""

from __future__ import annotations

from remote_ollama.facts.launchd import LaunchdJob
from remote_ollama.facts.system import Architecture, MemoryBytes
from remote_ollama.probe import BEGIN, END, MISSING, parse_section, section_script, split_sections


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
    assert parse_section(MemoryBytes, 0, [MISSING]) is None


def test_section_script_guards_required_commands_and_records_exit_code():
    script = section_script("mem", MemoryBytes, {})
    assert script.startswith(f"echo '{BEGIN} mem'")
    assert "command -v sysctl" in script
    assert f'echo "{END} mem $?"' in script


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


def test_prime_caches_home_paths_under_the_absolute_path_too(monkeypatch):
    from remote_ollama import probe
    from remote_ollama.facts.files import PathExists
    from remote_ollama.facts.system import UserIdentity

    class Host:
        scripts: list[str] = []

        def get_fact(self, cls, script):
            self.scripts.append(script)
            return {"identity": (0, ["uid=501", "user=me", "home=/Users/me", "shell=/bin/zsh"]),
                    "x": (0, ["yes"])}

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


def test_probe_output_is_folded_into_one_line_and_unfolded_exactly():
    """The host's tr and unfold() are inverses: empty lines, trailing spaces and even a
    record separator in a file survive; the wire carries one line."""
    import subprocess

    from remote_ollama.facts.files import ManagedFile
    from remote_ollama.probe import Probe, probe_script

    content = "first\n\n  indented  \nhas \x1e separator\nno newline at end"
    path = "/tmp/remote-ollama-test-fold.txt"
    with open(path, "w") as f:
        f.write(content)
    script = probe_script({"f": (ManagedFile, {"path": path}), "arch": (Architecture, {})})
    out = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True)
    wire = out.stdout.split("\n")
    assert len(wire) == 2  # the one line the \x1e in the file became, and the rest
    sections = Probe().process(wire)
    assert parse_section(ManagedFile, *sections["f"])["content"] == content
    assert parse_section(Architecture, *sections["arch"]) == subprocess.run(
        ["uname", "-m"], capture_output=True, text=True).stdout.strip()


def test_unfold_inverts_the_swap():
    from remote_ollama.probe import SWAP, unfold

    original = ["a", "", "b\x1ec", "d "]
    wire = "\n".join(original).translate(SWAP).split("\n")
    assert unfold(wire) == original
