"""Property tests (Hypothesis): any value of any setting is rejected, or rendered safely.

"Safely" is checked for real (tests/hostile/settings_cases.py): every shell file the
client deploy writes is sourced in bash, zsh, dash and bash in POSIX mode, and must run
no command and set exactly the intended variables to exactly the intended values; the
plists, YAML and JSON parse back to the intended values; commands get each value as one
word. Rejection must be a SettingsError (never another exception).
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remote_ollama import render
from remote_ollama.settings import (
    DURATION_RE,
    ENV_NAME_RE,
    ENV_VALUE_RE,
    LABEL_RE,
    MODEL_RE,
    ORIGIN_RE,
    URL_RE,
    VERSION_RE,
    is_version,
)
from tests.hostile import server_answer_cases, settings_cases, shells

SHELLS = shells.available()
PROPERTY = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
TEXT_SETTINGS = sorted(settings_cases._string_settings())

# Text a user, a typo or an attacker might type: shell syntax, newlines, unicode, control.
SHELL_BITS = [";", "$(", ")", "`", "'", '"', "\\", "\n", "\r", "|", "&", "#", " ", "*", "~",
              "..", "/", "{", "}", "{0}", "$", "\x00", "\u2028", "touch pwned", "="]  # fmt: skip
hostile_text = st.one_of(
    st.text(max_size=40),
    st.lists(st.sampled_from(SHELL_BITS), max_size=6).map("".join),
    st.tuples(st.sampled_from(list(settings_cases._string_settings().values())),
              st.lists(st.sampled_from(SHELL_BITS), min_size=1, max_size=4).map("".join),
              st.booleans()).map(lambda t: t[1] + t[0] if t[2] else t[0] + t[1]),
)


def _assert_rejected_or_safe(data: dict) -> None:
    result = settings_cases.outcome(data, SHELLS)
    assert result in ("rejected", "safe"), f"{data!r}: {result}"


@PROPERTY
@given(key=st.sampled_from(TEXT_SETTINGS), value=hostile_text)
def test_any_text_in_any_text_setting_is_rejected_or_rendered_safely(key, value):
    _assert_rejected_or_safe(settings_cases.with_value(key, value))


# Values built from each setting's own pattern: most pass validation, so this exercises
# the rendering of odd but allowed characters (URLs may hold $, ;, (, ), &, ...).
ALLOWED = {
    "models": MODEL_RE, "default_model": MODEL_RE, "claude_code_model": MODEL_RE,
    "claude_code_small_model": MODEL_RE, "warm_models": MODEL_RE, "ollama_version": VERSION_RE,
    "claude_code_version": VERSION_RE, "aider_version": VERSION_RE,
    "ollama_label": LABEL_RE, "ollama_keep_alive": DURATION_RE, "ollama_origins": ORIGIN_RE,
    "package_index_url": URL_RE, "package_find_links": URL_RE, "claude_code_registry": URL_RE,
}  # fmt: skip


@PROPERTY
@given(data=st.data(), key=st.sampled_from(sorted(ALLOWED)))
def test_values_the_patterns_allow_render_safely(data, key):
    value = data.draw(st.from_regex(ALLOWED[key], fullmatch=True).filter(lambda v: len(v) < 80))
    _assert_rejected_or_safe(settings_cases.with_value(key, value))


@PROPERTY
@given(env=st.dictionaries(st.one_of(st.from_regex(ENV_NAME_RE, fullmatch=True), st.text()),
                           st.one_of(st.from_regex(ENV_VALUE_RE, fullmatch=True), st.text()),
                           max_size=3))
def test_extra_env_is_rejected_or_lands_in_the_plist_exactly(env):
    _assert_rejected_or_safe({"ollama_extra_env": env})


@PROPERTY
@given(key=st.sampled_from(sorted(settings_cases.Settings.model_fields)),
       value=st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20),
                       st.lists(st.text(max_size=5), max_size=3),
                       st.dictionaries(st.text(max_size=5), st.integers(), max_size=2)))
def test_any_type_for_any_setting_is_rejected_or_safe_never_a_crash(key, value):
    _assert_rejected_or_safe({key: value})


@PROPERTY
@given(reported=st.one_of(st.none(), hostile_text,
                          st.from_regex(VERSION_RE, fullmatch=True).filter(lambda v: len(v) < 40)))
def test_a_server_reported_version_is_refused_or_written_so_sourcing_sets_only_the_lock(reported):
    result = server_answer_cases.outcome(reported, SHELLS)
    assert result == ("safe" if reported is None or is_version(reported) else "rejected"), result


# --- the claude-ollama guard in every shell that reads a profile ------------------------

def _profile_home(tmp_path):
    settings = settings_cases.validate_host("h", {"claude_code_enabled": True})
    files = settings_cases.client_files(settings, "http://ai-server:11434", "0.14.2")
    for relative, text in files.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    return tmp_path


@pytest.mark.parametrize("argv", [["bash", "--posix"], ["dash"], ["bash"], ["zsh", "-f"],
                                  ["env", "POSIXLY_CORRECT=1", "bash"]])
def test_a_sh_script_that_sources_the_profile_with_set_e_carries_on(argv, tmp_path):
    """macOS's /bin/sh is bash 3.2 in POSIX mode: defining `claude-ollama` there is fatal,
    so the block must skip it; bash and zsh get the function."""
    if not shutil.which(argv[0] if argv[0] != "env" else argv[2]):
        pytest.skip(f"{argv} is not installed")
    home = _profile_home(tmp_path)
    script = ('set -e\n. "$HOME/.profile"\necho carried-on\n'
              'if command -v claude-ollama >/dev/null 2>&1; then echo has-function; fi\n')
    run = subprocess.run([*argv, "-c", script], capture_output=True, text=True, timeout=10,
                         env={"HOME": str(home), "PATH": "/usr/bin:/bin"})  # fmt: skip
    assert (run.returncode, run.stderr) == (0, "")
    posix = argv[0] == "dash" or "--posix" in argv or "POSIXLY_CORRECT=1" in argv
    assert run.stdout.split() == ["carried-on", *([] if posix else ["has-function"])]


def test_bash_started_as_sh_skips_the_function(tmp_path):
    """`sh` that is bash (argv[0] sh), as on macOS, is in POSIX mode too."""
    home = _profile_home(tmp_path)
    link = tmp_path / "bin" / "sh"
    link.parent.mkdir()
    link.symlink_to(shutil.which("bash"))
    run = subprocess.run([str(link), "-c", '. "$HOME/.profile"; echo ok; '
                          "command -v claude-ollama || true"],
                         capture_output=True, text=True, timeout=10,
                         env={"HOME": str(home), "PATH": "/usr/bin:/bin"})  # fmt: skip
    assert (run.returncode, run.stderr, run.stdout) == (0, "", "ok\n")


def test_the_rendered_files_refuse_a_value_that_would_break_a_line():
    with pytest.raises(render.UnsafeValue):
        render._template("claude-ollama.sh.j2", env={}, binary="b", version="1\ntouch x",
                         skip_permissions=False)
    with pytest.raises(render.UnsafeValue):
        render._template("claude-ollama.sh.j2", env={"A;B": "1"}, binary="b", version="1",
                         skip_permissions=False)
    with pytest.raises(render.UnsafeValue):
        render.version_lock("2.1.332", "0.14.2;touch x", settings_cases.verdict("2.1.332", None))
