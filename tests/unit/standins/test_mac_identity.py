"""sw_vers, uname and sysctl print the documented formats and follow mac.json."""

from pyinfra.facts.server import Sysctl


def test_sw_vers_default_is_sequoia_with_whitespace_separated_keys(host):
    out = host.run("sw_vers", check=True).stdout.splitlines()
    pairs = dict(line.split(None, 1) for line in out)
    assert pairs == {"ProductName:": "macOS", "ProductVersion:": "15.1", "BuildVersion:": "24B83"}
    assert host.run("sw_vers", "-productVersion").stdout == "15.1\n"


def test_sw_vers_and_uname_follow_config_for_an_old_intel_mac(host):
    host.config(
        "mac.json",
        {
            "product_version": "13.6",
            "build_version": "22G120",
            "arch": "x86_64",
            "memsize": 16 * 1024**3,
        },
    )
    assert host.run("sw_vers", "-productVersion").stdout == "13.6\n"
    assert host.run("sw_vers").stdout.splitlines()[1] == "ProductVersion:\t13.6"
    assert host.run("uname", "-m").stdout == "x86_64\n"
    assert host.run("uname", "-r").stdout == "22.6.0\n"
    assert host.run("sysctl", "-n", "hw.memsize").stdout == f"{16 * 1024**3}\n"


def test_uname_pretends_darwin_arm64_and_delegates_the_rest(host):
    assert host.run("uname", "-s").stdout == "Darwin\n"
    assert host.run("uname").stdout == "Darwin\n"
    assert host.run("uname", "-sm").stdout == "Darwin arm64\n"
    assert host.run("uname", "-a").stdout.startswith("Darwin ")
    assert host.run("uname", "-a").stdout.rstrip().endswith(" arm64")
    assert "coreutils" in host.run("uname", "--version").stdout


def test_sysctl_formats_parse_with_pyinfra(host):
    out = host.run("sysctl", "hw.memsize", "hw.ncpu", "machdep.cpu.brand_string").stdout
    facts = Sysctl().process(out.splitlines())
    assert facts["hw.memsize"] == 192 * 1024**3
    assert facts["hw.ncpu"] == 24
    # pyinfra splits word-only values on whitespace
    assert facts["machdep.cpu.brand_string"] == ["Apple", "M2", "Ultra"]
    assert host.run("sysctl", "-n", "hw.memsize").stdout.strip().isdigit()


def test_sysctl_unknown_oid_fails_and_boottime_has_seconds_in_field_four(host):
    bad = host.run("sysctl", "no.such.key")
    assert bad.returncode == 1
    assert "unknown oid" in bad.stderr
    field = host.run("sysctl", "-n", "kern.boottime").stdout.split()[3]
    assert field.rstrip(",").isdigit()


def test_sysctl_writes_need_root(host):
    denied = host.run("sysctl", "iogpu.wired_limit_mb=65536", user=True)
    assert denied.returncode == 1
    host.run("sysctl", "-w", "iogpu.wired_limit_mb=65536", check=True)
    assert host.run("sysctl", "-n", "iogpu.wired_limit_mb").stdout == "65536\n"


def test_the_servers_one_sysctl_reads_release_cpu_and_memory(host):
    from remote_ollama.facts.system import MacSystem

    def mac_system():
        return MacSystem().process(host.run("sysctl", *MacSystem.NAMES).stdout.splitlines())

    assert mac_system() == {"version": "15.1", "arch": "arm64", "memsize": 192 * 1024**3}
    host.config("mac.json", {"product_version": "13.6", "arch": "x86_64",
                             "memsize": 16 * 1024**3})
    assert mac_system() == {"version": "13.6", "arch": "x86_64", "memsize": 16 * 1024**3}


def test_rosetta_shell_says_x86_64_but_sysctl_knows_apple_silicon(host):
    """The client's Architecture fact, run against the stand-ins of a Rosetta shell."""
    import subprocess

    from remote_ollama.facts.system import Architecture

    def architecture():
        out = subprocess.run(["sh", "-c", Architecture().command()], env=host.env(),
                             capture_output=True, text=True, check=True).stdout
        return Architecture().process(out.splitlines())

    host.config("mac.json", {"rosetta": True})
    assert host.run("uname", "-m").stdout == "x86_64\n"
    assert host.run("sysctl", "-n", "sysctl.proc_translated").stdout == "1\n"
    assert host.run("sysctl", "-n", "hw.optional.arm64").stdout == "1\n"
    assert architecture() == "arm64"
    host.config("mac.json", {"arch": "x86_64"})  # an Intel Mac knows neither name
    assert host.run("sysctl", "hw.optional.arm64").returncode == 1
    assert host.run("sysctl", "sysctl.proc_translated").returncode == 1
    assert architecture() == "x86_64"
    host.config("mac.json", {})
    assert architecture() == "arm64"
