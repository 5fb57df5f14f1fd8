"""pmset: -g prints the documented block; writes need root and persist."""

import shlex

from remote_ollama.facts.power import PmsetSettings
from remote_ollama.operations import power
from tests.unit.ops import key as fact_key
from tests.unit.ops import run_op


def settings(host):
    lines = host.run("pmset", "-g", check=True).stdout.splitlines()
    assert lines[:3] == ["System-wide power settings:", " SleepDisabled\t\t0", "Currently in use:"]
    return {line.split()[0]: line.split()[-1] for line in lines[3:]}


def test_pmset_g_lists_the_always_on_keys(host):
    current = settings(host)
    for key in ("sleep", "disksleep", "displaysleep", "autorestart", "womp", "powernap", "standby"):
        assert key in current


def test_root_write_shows_up_in_pmset_g(host):
    host.run(
        "pmset",
        "-a",
        "sleep",
        "0",
        "disksleep",
        "0",
        "autorestart",
        "1",
        "womp",
        "1",
        "powernap",
        "0",
        check=True,
    )
    current = settings(host)
    assert (current["sleep"], current["disksleep"], current["autorestart"]) == ("0", "0", "1")
    assert (current["womp"], current["powernap"]) == ("1", "0")


def test_non_root_write_is_refused_and_changes_nothing(host):
    before = settings(host)
    proc = host.run("pmset", "-a", "sleep", "0", user=True)
    assert proc.returncode == 1
    assert "must be run as root" in proc.stderr
    assert settings(host) == before
    assert host.run("pmset", "-g", user=True).returncode == 0  # reading needs no root


def test_unknown_setting_fails_the_whole_command(host):
    proc = host.run("pmset", "-a", "sleep", "0", "nonsense", "1")
    assert proc.returncode == 1
    assert settings(host)["sleep"] == "1"


def test_sleep_line_names_the_processes_that_prevent_sleep(host):
    host.config("pmset.json", {"sleep_prevented_by": ["coreaudiod", "sharingd"]})
    out = host.run("pmset", "-g", check=True).stdout
    assert " sleep                1 (sleep prevented by coreaudiod, sharingd)\n" in out
    assert PmsetSettings().process(out.splitlines())["sleep"] == 1


def test_unsupported_keys_are_never_listed_yet_setting_them_succeeds(host):
    host.config("pmset.json", {"unsupported": ["autorestart", "womp"]})
    for option in ("live", "custom", "cap"):
        out = host.run("pmset", "-g", option, check=True).stdout
        assert "autorestart" not in out and "womp" not in out, option
        assert "sleep" in out
    assert host.run("pmset", "-a", "autorestart", "1", "womp", "1").returncode == 0
    assert "autorestart" not in host.run("pmset", "-g", check=True).stdout


def test_the_deploy_converges_a_mac_without_autorestart_in_one_run(host):
    """The fact reads the stand-in, the operation's command runs on it, and the second
    reading gives no command: idempotent although autorestart is never listed."""
    host.config("pmset.json", {"unsupported": ["autorestart"]})
    wanted = {"sleep": 0, "disksleep": 0, "autorestart": 1, "womp": 1}

    def plan():
        current = PmsetSettings().process(host.run("pmset", "-g", check=True).stdout.splitlines())
        return run_op(power.pmset, {fact_key(PmsetSettings): current}, settings=wanted)

    first = plan()
    assert first == ["pmset -a disksleep 0 sleep 0"]
    host.run(*shlex.split(first[0]), check=True)
    assert plan() == []
