"""brew: formats that pyinfra's brew facts parse, kegs on disk, and brew services."""

import json
import plistlib
import time

from pyinfra.facts.brew import BrewCasks, BrewPackages, BrewVersion

BREW = "/opt/homebrew/bin/brew"


def brew(host, *args, check=True):
    return host.run(host.path(BREW), *args, user=True, check=check)


def test_version_parses_with_pyinfra(host):
    out = brew(host, "--version").stdout.splitlines()
    assert BrewVersion().process(out) == [4, 4, 6]
    assert brew(host, "--prefix").stdout.strip() == str(host.path("/opt/homebrew"))


def test_install_pours_the_ollama_standin_and_lists_it(host):
    brew(host, "install", "ollama")
    packages = BrewPackages().process(brew(host, "list", "--versions").stdout.splitlines())
    assert packages == {"ollama": {"0.14.2"}}
    keg = host.path("/opt/homebrew/Cellar/ollama/0.14.2/bin")
    assert (keg / "ollama").is_file() and (keg / "ollama_standin.py").is_file()
    assert (keg / "ollama.version").read_text().strip() == "0.14.2"
    assert host.path("/opt/homebrew/bin/ollama").resolve() == keg / "ollama"
    assert host.path("/opt/homebrew/opt/ollama").resolve() == keg.parent
    again = brew(host, "install", "ollama")
    assert "already installed" in again.stderr


def test_casks_and_info_json(host):
    brew(host, "install", "--cask", "tailscale-app")
    casks = BrewCasks().process(brew(host, "list", "--cask", "--versions").stdout.splitlines())
    assert casks == {"tailscale-app": {"1.76.6"}}
    info = json.loads(brew(host, "info", "--json=v2", "ollama").stdout)
    formula = info["formulae"][0]
    assert formula["name"] == "ollama" and formula["installed"] == []
    assert formula["versions"]["stable"] == "0.14.2"
    assert info["casks"] == []


def test_root_may_not_install(host):
    proc = host.run(host.path(BREW), "install", "ollama")
    assert proc.returncode == 1
    assert "Running Homebrew as root" in proc.stderr


def test_pin_blocks_upgrade_and_unpin_allows_it(host):
    brew(host, "install", "ollama")
    host.config("brew.json", {"formulae": {"ollama": "0.15.0"}})
    brew(host, "pin", "ollama")
    assert brew(host, "upgrade", "ollama", check=False).returncode == 1
    brew(host, "unpin", "ollama")
    brew(host, "upgrade", "ollama")
    assert "ollama 0.15.0" in brew(host, "list", "--versions").stdout
    assert not host.path("/opt/homebrew/Cellar/ollama/0.14.2").exists()


def test_unknown_formula_fails_when_strict(host):
    host.config("brew.json", {"strict": True})
    proc = brew(host, "install", "nosuchformula", check=False)
    assert proc.returncode == 1
    assert 'No available formula with the name "nosuchformula"' in proc.stderr


def test_services_start_writes_the_formula_plist_and_runs_it(host):
    # A sleeper instead of the real Ollama stand-in keeps port 11434 free.
    stash = host.path("/usr/local/share/standin/ollama")
    stash.write_text("#!/bin/sh\nexec sleep 600\n")
    brew(host, "install", "ollama")
    out = brew(host, "services", "start", "ollama").stdout
    assert "Successfully started `ollama` (label: homebrew.mxcl.ollama)" in out
    plist_path = host.home / "Library/LaunchAgents/homebrew.mxcl.ollama.plist"
    plist = plistlib.loads(plist_path.read_bytes())
    prefix = host.path("/opt/homebrew")
    assert plist["ProgramArguments"] == [f"{prefix}/opt/ollama/bin/ollama", "serve"]
    assert plist["EnvironmentVariables"] == {
        "OLLAMA_FLASH_ATTENTION": "1",
        "OLLAMA_KV_CACHE_TYPE": "q8_0",
    }
    assert plist["KeepAlive"] is True
    deadline = time.time() + 10
    while time.time() < deadline and "started" not in brew(host, "services", "list").stdout:
        time.sleep(0.1)
    table = brew(host, "services", "list").stdout.splitlines()
    assert table[0].split() == ["Name", "Status", "User", "File"]
    assert table[1].split()[:3] == ["ollama", "started", "dev"]
    info = json.loads(brew(host, "services", "info", "ollama", "--json").stdout)[0]
    assert info["running"] and info["pid"]
    printed = host.run("launchctl", "print", "gui/1000/homebrew.mxcl.ollama", user=True)
    assert "state = running" in printed.stdout
    stop = brew(host, "services", "stop", "ollama").stdout
    assert "Successfully stopped" in stop
    assert not plist_path.exists()
    assert host.run("launchctl", "print", "gui/1000/homebrew.mxcl.ollama", user=True).returncode


def test_upgrade_links_the_new_keg_then_cleans_up_the_old_one_unless_told_not_to(host):
    brew(host, "install", "ollama")
    host.config("brew.json", {"formulae": {"ollama": "0.15.0"}})
    out = brew(host, "upgrade", "ollama").stdout
    old = host.path("/opt/homebrew/Cellar/ollama/0.14.2")
    assert "==> Running `brew cleanup ollama`..." in out and f"Removing: {old}... (" in out
    assert not old.exists()
    assert host.path("/opt/homebrew/opt/ollama").resolve().name == "0.15.0"
    host.config("brew.json", {"formulae": {"ollama": "0.15.1"}})
    kept = host.run(host.path(BREW), "upgrade", "ollama", user=True, check=True,
                    HOMEBREW_NO_INSTALL_CLEANUP="1").stdout
    assert "cleanup" not in kept
    assert host.path("/opt/homebrew/Cellar/ollama/0.15.0/bin/ollama").is_file()  # unlinked
    assert host.path("/opt/homebrew/opt/ollama").resolve().name == "0.15.1"


def test_a_broken_bottle_dies_at_start_as_a_missing_dylib_does(host):
    host.config("brew.json", {"broken_bottles": {"ollama": ["0.14.2"]}})
    brew(host, "install", "ollama")
    proc = host.run(host.path("/opt/homebrew/opt/ollama/bin/ollama"), "serve")
    assert proc.returncode == -6 or proc.returncode == 134  # SIGABRT
    assert proc.stderr.startswith("dyld: Library not loaded: @rpath/libggml-base.dylib\n")
    assert "(no such file)" in proc.stderr
