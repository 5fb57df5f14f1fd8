"""Power management settings from ``pmset -g``."""

from __future__ import annotations

import re

from remote_ollama.facts.base import ProbeFact

# " name  value" with an optional note, as pmset prints it: `printf(" %-20s ", name)`, the
# value, then e.g. " (sleep prevented by coreaudiod, sharingd)" (pmset.m in
# apple-oss-distributions/PowerManagement: show_pm_settings_dict, print_override_pids).
# Names can be several words ("Sleep On Power Button 1"); "SleepDisabled\t\t0" uses tabs.
SETTING = re.compile(r"\s*(\S.*?)\s+(-?[0-9]+)(?:\s+\(.*)?\s*")  # fullmatch


class PmsetSettings(ProbeFact["dict[str, int] | None"]):
    """The settings ``pmset -g`` lists, as ``{"sleep": 0, "womp": 1, ...}``.

    ``pmset -g`` lists only what this Mac supports: it leaves out every setting for which
    ``IOPMFeatureIsAvailable`` is false (``show_pm_settings_dict`` with
    ``prune_unsupported``), so many Macs show no ``autorestart`` and some no ``womp``.
    ``pmset -g custom`` hides them too (``IOPMCopyPMPreferences`` reads with
    ``kIOPMRemoveUnsupportedPreferences``, IOKitUser ``IOPMEnergyPrefs.c``), and powerd
    never applies them. A key missing here is therefore one this Mac does not have.
    Lines with a value that is not a number (``hibernatefile /var/vm/sleepimage``) and
    headers (``Currently in use:``) are skipped.

        host.get_fact(PmsetSettings)["sleep"]
    """

    SLOW = True  # pmset asks powerd (probe.probe_script runs it alongside)

    def requires_command(self) -> str:
        return "pmset"

    def command(self) -> str:
        return "pmset -g"

    def process(self, output) -> dict[str, int]:
        values = {}
        for line in output:
            match = SETTING.fullmatch(line)
            if match:
                values[match.group(1)] = int(match.group(2))
        return values
