"""pmset: -g prints the documented block; writes need root and persist."""


def settings(host):
    lines = host.run("pmset", "-g", check=True).stdout.splitlines()
    assert lines[:2] == ["System-wide power settings:", "Currently in use:"]
    return {line.split()[0]: line.split()[-1] for line in lines[2:]}


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
