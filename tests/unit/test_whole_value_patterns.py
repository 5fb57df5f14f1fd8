"""Every pattern check matches the whole value: a trailing newline is not accepted (issue 13).

``re.match(r"^...$")`` accepts ``"value\\n"`` because ``$`` also matches before a final
newline; the checks use ``fullmatch`` (or ``\\Z``) instead.
"""

from __future__ import annotations

import pytest

from remote_ollama import compat
from remote_ollama.facts.launchd import LaunchdJob, OllamaJobs
from remote_ollama.facts.power import PmsetSettings
from remote_ollama.operations import launchd


@pytest.mark.parametrize("bad", ["com.remote-ollama.ollama\n", "com.x\nrm -rf ~", "\n"])
def test_a_launchd_label_with_a_newline_is_refused(bad):
    with pytest.raises(ValueError, match="not a launchd label"):
        OllamaJobs().command(exclude=bad)
    with pytest.raises(ValueError, match="not a launchd label"):
        list(launchd.job_retired._inner(label=bad, domain="gui/501", plist=None,
                                        backup_dir="/tmp/b", why="test"))  # fmt: skip


def test_a_launchd_target_with_a_newline_is_refused():
    with pytest.raises(ValueError):
        LaunchdJob().command(target="gui/501/com.x\n")


def test_good_values_still_pass():
    assert "com.remote-ollama.ollama" in OllamaJobs().command(exclude="com.remote-ollama.ollama")
    assert compat.matches(">= 0.14.0", "0.14.2")
    assert PmsetSettings().process([" sleep                0 (sleep prevented by x)"]) == {
        "sleep": 0}
