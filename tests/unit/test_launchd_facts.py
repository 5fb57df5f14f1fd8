"""launchctl output in, parsed value out: multi-word states, arguments, domains, every
other Ollama job, and the port's listeners (issue 12 items 3, 4, 6; issue 19)."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from remote_ollama.facts.launchd import (
    LaunchdJob,
    OllamaJobs,
    domain_state,
    job_state,
    parse_print,
)
from remote_ollama.facts.ollama import PortListeners

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "macos"
JOBS_CASES = Path(__file__).resolve().parents[1] / "facts" / "launchd.OllamaJobs"


def lines(name: str) -> list[str]:
    return (FIXTURES / name).read_text().splitlines()


def test_states_of_several_words_are_read_whole():
    crash = LaunchdJob().process(lines("launchctl-print-spawn-scheduled.txt"))
    assert crash["state"] == "spawn scheduled"
    assert crash["pid"] is None and crash["runs"] == 14 and crash["last_exit"] == "1"
    stopped = LaunchdJob().process(lines("launchctl-print-not-running.txt"))
    assert stopped["state"] == "not running" and stopped["last_exit"] == "78: EX_CONFIG"
    assert stopped["arguments"] == ["/opt/homebrew/bin/ollama", "serve"]


words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)


@given(state=st.lists(words, min_size=1, max_size=4).map(" ".join),
       indent=st.sampled_from(["\t", "    ", "  "]))
def test_any_state_value_survives_whatever_the_indentation(state, indent):
    block = ["gui/501/x = {", f"{indent}state = {state}", f"{indent}arguments = {{",
             f"{indent * 2}/bin/ollama", f"{indent * 2}serve", f"{indent}}}",
             f"{indent}environment = {{", f"{indent * 2}state = nested", f"{indent}}}",
             f"{indent}pid = 7", "}"]
    job = parse_print(block)
    assert job["state"] == state and job["pid"] == 7  # the nested 'state' is not it
    assert job["arguments"] == ["/bin/ollama", "serve"]


SEED = """<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict><key>Label</key><string>com.ollama</string>
<key>ProgramArguments</key><array><string>/opt/homebrew/bin/ollama</string>
<string>serve</string></array></dict></plist>"""


def test_every_other_ollama_job_is_found_with_its_plist_and_domains():
    out = ["@@plist /Users/a/Library/LaunchAgents/com.ollama.plist", *SEED.splitlines(), "",
           "@@end", "@@plist /Library/LaunchDaemons/odd.plist", "@@binary", "@@end",
           "@@print gui/501/com.ollama", *lines("launchctl-print-not-running.txt"),
           "@@print user/501/com.ollama", 'Could not find service "com.ollama" in domain '
           "for user: 501", "@@rc=113", "@@print system/homebrew.mxcl.ollama",
           *lines("launchctl-print-running.txt")]
    found = OllamaJobs().process(out)
    assert found["plists"] == {
        "/Users/a/Library/LaunchAgents/com.ollama.plist": {
            "label": "com.ollama", "plist": {"Label": "com.ollama", "ProgramArguments":
                                             ["/opt/homebrew/bin/ollama", "serve"]}},
        "/Library/LaunchDaemons/odd.plist": {"label": "odd", "plist": None},
    }
    assert set(found["jobs"]) == {"gui/501/com.ollama", "system/homebrew.mxcl.ollama"}
    assert found["jobs"]["gui/501/com.ollama"]["state"] == "not running"
    assert found["jobs"]["system/homebrew.mxcl.ollama"]["pid"] == 4242


def test_ollama_jobs_command_skips_our_own_label_and_checks_it():
    command = OllamaJobs().command(exclude="com.remote-ollama.ollama")
    assert '"com.remote-ollama.ollama.plist"|"com.remote-ollama.ollama.warm.plist"' in command
    assert 'for d in "gui/$u" "user/$u" system' in command


def test_listeners_are_read_from_lsof_pids_and_ps():
    out = ["@@pid 4242", " 4242     1 admin    /opt/homebrew/opt/ollama/bin/ollama serve",
           "@@pid 900", "  900     1 root     /opt/homebrew/opt/ollama/bin/ollama serve",
           "@@pid 4242", "@@pid 77"]  # a duplicate, and one that exited before ps
    assert PortListeners().process(out) == [
        {"pid": 4242, "ppid": 1, "user": "admin",
         "command": "/opt/homebrew/opt/ollama/bin/ollama serve"},
        {"pid": 900, "ppid": 1, "user": "root",
         "command": "/opt/homebrew/opt/ollama/bin/ollama serve"},
        {"pid": 77, "ppid": None, "user": "", "command": ""},
    ]
    assert PortListeners().process([]) == []
    assert "lsof -nP -iTCP:11434 -sTCP:LISTEN -t" in PortListeners().command(port=11434)


# A launchctl on PATH that answers from files: LISTINGS/<domain with / as _> is what
# `print <domain>` lists (absent: the listing fails, exit 113), JOBS/<target with / as _>
# a loaded job's block (absent: "Could not find service", 113); each call is logged.
FAKE_LAUNCHCTL = r"""#!/bin/sh
echo "$*" >> "$FAKE/calls"
name=$(printf %s "$2" | tr / _)
case "$2" in
  */*/*|system/*) [ -f "$FAKE/jobs/$name" ] && exec cat "$FAKE/jobs/$name"
    echo "Could not find service" >&2; exit 113;;
  *) [ -f "$FAKE/listings/$name" ] && exec cat "$FAKE/listings/$name"
    echo "Could not find domain for user gui: 501" >&2; exit 113;;
esac
"""


def _run_ollama_jobs(tmp_path, listings: dict[str, str], jobs: dict[str, str]):
    import subprocess

    fake = tmp_path / "fake"
    for sub, entries in (("listings", listings), ("jobs", jobs)):
        (fake / sub).mkdir(parents=True)
        for name, text in entries.items():
            (fake / sub / name.replace("/", "_")).write_text(text)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool, text in (("launchctl", FAKE_LAUNCHCTL), ("id", "#!/bin/sh\necho 501\n")):
        (bin_dir / tool).write_text(text)
        (bin_dir / tool).chmod(0o755)
    (tmp_path / "home").mkdir()
    command = OllamaJobs().command(exclude="com.remote-ollama.ollama")
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "FAKE": str(fake), "HOME": str(tmp_path / "home")}
    proc = subprocess.run(["sh", "-c", command], env=env, capture_output=True, text=True,
                          check=True)  # fmt: skip
    calls = (fake / "calls").read_text().splitlines()
    return OllamaJobs().process(proc.stdout.split("\n")), calls


RUNNING = "\n".join(lines("launchctl-print-running.txt")) + "\n"


def test_ollama_jobs_prints_a_label_only_where_the_domain_lists_it(tmp_path):
    """One listing per domain; a detailed print only for a label the listing names
    (loaded, or in its disabled services): 4 launchctl runs here, not 9."""
    gui = ("gui/501 = {\n\tservices = {\n\t\t  612\t-\tcom.remote-ollama.ollama\n\t}\n"
           "\tdisabled services = {\n\t}\n}\n")
    system = ("system = {\n\tservices = {\n\t\t  4242\t-\thomebrew.mxcl.ollama\n\t}\n"
              "\tdisabled services = {\n\t\t\"homebrew.mxcl.ollama\" => enabled\n\t}\n}\n")
    found, calls = _run_ollama_jobs(
        tmp_path, {"gui/501": gui, "user/501": "user/501 = {\n}\n", "system": system},
        {"gui/501/com.remote-ollama.ollama": RUNNING, "system/homebrew.mxcl.ollama": RUNNING})
    assert calls == ["print gui/501", "print gui/501/com.remote-ollama.ollama",
                     "print user/501", "print system", "print system/homebrew.mxcl.ollama"]
    assert set(found["jobs"]) == {"gui/501/com.remote-ollama.ollama",
                                  "system/homebrew.mxcl.ollama"}
    assert found["jobs"]["system/homebrew.mxcl.ollama"]["pid"] == 4242
    assert found["domains"] == {"gui/501": 0, "user/501": 0, "system": 0}
    # The same run answers LaunchdJob for our job and the warm job, and gui's existence
    ours = job_state(found, "gui/501/com.remote-ollama.ollama")
    assert ours == LaunchdJob().process(RUNNING.splitlines())
    assert job_state(found, "gui/501/com.remote-ollama.ollama.warm") == {"loaded": False}
    assert domain_state(found, "gui/501") == {"exists": True, "code": 0}


def test_the_warm_job_is_printed_where_a_listing_names_it(tmp_path):
    gui = ("gui/501 = {\n\tservices = {\n\t\t  612\t-\tcom.remote-ollama.ollama\n"
           "\t\t  0\t-\tcom.remote-ollama.ollama.warm\n\t}\n}\n")
    warm = RUNNING.replace("state = running", "state = not running")
    found, calls = _run_ollama_jobs(
        tmp_path, {"gui/501": gui, "user/501": "user/501 = {\n}\n", "system": "system = {\n}\n"},
        {"gui/501/com.remote-ollama.ollama": RUNNING,
         "gui/501/com.remote-ollama.ollama.warm": warm})
    assert calls == ["print gui/501", "print gui/501/com.remote-ollama.ollama",
                     "print gui/501/com.remote-ollama.ollama.warm", "print user/501",
                     "print system"]  # 5 launchctl runs: before, 3 more asked the same
    assert job_state(found, "gui/501/com.remote-ollama.ollama.warm")["state"] == "not running"


def test_a_domain_whose_listing_fails_is_asked_label_by_label(tmp_path):
    """The listing only saves runs: where it fails (no console session for gui/<uid>, a
    listing refused or broken), every label is printed there, so no loaded job is missed
    (a broken listing once hid a root brew daemon on the testbed, see git dc30009)."""
    found, calls = _run_ollama_jobs(tmp_path, {"user/501": "user/501 = {\n}\n"},
                                    {"system/homebrew.mxcl.ollama": RUNNING})
    labels = ("homebrew.mxcl.ollama", "com.ollama", "com.remote-ollama.ollama",
              "com.remote-ollama.ollama.warm")
    assert calls == ["print gui/501", *(f"print gui/501/{label}" for label in labels),
                     "print user/501",  # listed, and names none of them
                     "print system", *(f"print system/{label}" for label in labels)]
    assert set(found["jobs"]) == {"system/homebrew.mxcl.ollama"}
    # No console session: gui/501 cannot be listed: the domain is absent
    assert found["domains"] == {"gui/501": 113, "user/501": 0, "system": 113}
    assert domain_state(found, "gui/501") == {"exists": False, "code": 113}
    assert job_state(found, "gui/501/com.remote-ollama.ollama") == {"loaded": False}


def _case(name: str) -> dict:
    return json.loads((JOBS_CASES / f"{name}.json").read_text())


def test_job_and_domain_answers_match_the_facts_they_replace():
    """What server.py reads from OllamaJobs equals what LaunchdJob says of the same
    recorded launchctl outputs, and what ``launchctl print gui/501`` exits with."""
    converged = _case("converged-ours-running")["fact"]
    assert job_state(converged, "gui/501/com.remote-ollama.ollama") == LaunchdJob().process(
        lines("launchctl-print-running.txt"))
    absent = LaunchdJob().process(lines("launchctl-print-absent.txt"))
    assert job_state(converged, "gui/501/com.remote-ollama.ollama.warm") == absent
    assert job_state(converged, "system/com.remote-ollama.ollama") == absent
    assert domain_state(converged, "gui/501") == {"exists": True, "code": 0}
    no_console = _case("no-console-session")["fact"]
    assert domain_state(no_console, "gui/501") == {"exists": False, "code": 113}  # exit
    assert lines("launchctl-print-gui-domain-absent.txt")[-1] == "@@rc=113"  # as recorded
    assert job_state(no_console, "gui/501/com.remote-ollama.ollama") == absent


def test_no_answer_leaves_the_domain_unknown_and_the_job_unloaded():
    empty = OllamaJobs().default()  # the section failed or was cut off
    assert domain_state(empty, "gui/501") is None  # no answer is not "absent"
    assert job_state(empty, "gui/501/com.remote-ollama.ollama") == {"loaded": False}
    assert job_state(None, "system/x") == {"loaded": False}


def _run_listeners(tmp_path, sudo_works: bool, root_pids: str, user_pids: str):
    """PortListeners' command with sudo, lsof and ps on PATH answering as told; returns
    (value, calls). lsof as root sees ``root_pids``, as the user ``user_pids``."""
    import subprocess

    log = tmp_path / "calls"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tools = {
        "sudo": f'echo "sudo $*" >> {log}; {"" if sudo_works else "exit 1;"} '
                'shift; AS_ROOT=1 exec "$@"',
        "lsof": f'echo "lsof $*" >> {log}; if [ -n "$AS_ROOT" ]; then p="{root_pids}"; '
                f'else p="{user_pids}"; fi; [ -n "$p" ] || exit 1; printf "%s\\n" $p',
        "ps": f'echo "ps $*" >> {log}; echo " $4     1 admin    /opt/homebrew/bin/ollama serve"',
    }
    for tool, body in tools.items():
        (bin_dir / tool).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / tool).chmod(0o755)
    command = PortListeners().command(port=11434)
    proc = subprocess.run(["sh", "-c", command], env={"PATH": f"{bin_dir}:/usr/bin:/bin"},
                          capture_output=True, text=True, check=True)  # fmt: skip
    return PortListeners().process(proc.stdout.split("\n")), log.read_text().splitlines()


def test_listeners_cost_one_sudo_lsof_when_the_server_listens(tmp_path):
    found, calls = _run_listeners(tmp_path, True, "4242 4242", "")
    assert [f["pid"] for f in found] == [4242]  # printed twice (IPv4, IPv6): named once
    assert [c.split()[0] for c in calls] == ["sudo", "lsof", "ps"]  # no `sudo -n true`


def test_listeners_fall_back_to_a_plain_lsof_without_passwordless_sudo(tmp_path):
    found, calls = _run_listeners(tmp_path, False, "900", "4242")
    assert [f["pid"] for f in found] == [4242]
    assert [c.split()[0] for c in calls] == ["sudo", "lsof", "ps"]
    assert calls[1].startswith("lsof -nP -iTCP:11434 -sTCP:LISTEN -t")


def test_nobody_listening_is_an_empty_answer_not_an_unknown_one(tmp_path):
    found, calls = _run_listeners(tmp_path, True, "", "")
    assert found == []  # "@@lsof" was printed: asked, and nobody listens
    assert [c.split()[0] for c in calls] == ["sudo", "lsof", "lsof"]
