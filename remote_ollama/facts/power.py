"""Power management settings from ``pmset -g``."""

from __future__ import annotations

from pyinfra.api import FactBase


class PmsetSettings(FactBase):
    """Current ``pmset -g`` values as ``{"sleep": 0, "womp": 1, ...}``.

    Lines look like `` sleep                0 (sleep prevented by ...)``; the first token
    is the key and the second, when numeric, the value. Header lines are skipped.

        host.get_fact(PmsetSettings)["sleep"]
    """

    def requires_command(self) -> str:
        return "pmset"

    def command(self) -> str:
        return "pmset -g"

    def process(self, output) -> dict:
        values = {}
        for line in output:
            parts = line.split()
            if len(parts) >= 2 and not line.rstrip().endswith(":") and parts[1].isdigit():
                values[parts[0]] = int(parts[1])
        return values
