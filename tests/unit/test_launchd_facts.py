"""launchctl output in, parsed value out: multi-word states, arguments, domains, every
other Ollama job, and the port's listeners (issue 12 items 3, 4, 6; issue 19)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from remote_ollama.facts.launchd import LaunchdDomain, LaunchdJob, OllamaJobs, parse_print
from remote_ollama.facts.ollama import PortListeners

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "macos"


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


def test_gui_domain_exists_only_when_launchctl_prints_it():
    absent = LaunchdDomain().process(lines("launchctl-print-gui-domain-absent.txt"))
    assert absent == {"exists": False, "code": 113}
    assert LaunchdDomain().process(["@@rc=0"]) == {"exists": True, "code": 0}
    assert LaunchdDomain().process([]) is None  # no answer is not "absent"


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
