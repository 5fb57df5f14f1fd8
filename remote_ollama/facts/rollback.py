"""The rollback record a failed Ollama upgrade leaves on the server (see ``rollback.py``)."""

from __future__ import annotations

import json
import shlex

from remote_ollama.facts.base import ProbeFact

ABSENT = "@@absent"


class RollbackRecord(ProbeFact["dict[str, Any] | None"]):
    """The JSON document at ``path`` as a dict, or None when there is none (or it is not
    a JSON object: a record we cannot read is treated as no record, never as a crash).

        host.get_fact(RollbackRecord, path="/Users/me/.local/state/remote-ollama/rollback.json")
    """

    def command(self, path: str) -> str:
        quoted = shlex.quote(path)
        return f"if [ -f {quoted} ]; then cat {quoted}; else echo '{ABSENT}'; fi"

    def process(self, output) -> dict | None:
        text = "\n".join(output).strip()
        if not text or text == ABSENT:
            return None
        try:
            value = json.loads(text)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None
