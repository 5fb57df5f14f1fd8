"""The documentation side of the settings schema: longer explanations and the table.

``Settings`` (``remote_ollama.settings``) gives every field a type, default, one-line
description and example. The risky fields also need the why, as NixOS options carry a
long ``description`` (``nixos/modules/services/misc/ollama.nix``): that is ``DETAILS``.
``settings_table`` renders all of it; ``remote-ollama settings`` prints it and the README
holds it (``tests/unit/test_settings.py`` keeps the two the same).
"""

from __future__ import annotations

import json
import runpy
import textwrap
from pathlib import Path

from remote_ollama.settings import REMOVED, RENAMED, Settings

DETAILS = {
    "ollama_bind": (
        "Ollama has no authentication: whoever reaches the port can run, pull and delete "
        "models. `tailscale` (the default) listens only on the Mac's Tailscale IPv4, so only "
        "the tailnet members your ACL lets in reach it (`remote-ollama acl`). `loopback` is "
        "for a Mac that serves only itself (or CI). `all` listens on every interface, "
        "including hotel Wi-Fi, and is refused unless `ollama_allow_lan_exposure` is True."
    ),
    "ollama_allow_lan_exposure": (
        "The explicit opt-in for `ollama_bind: all`. With it, anyone on any network the Mac "
        "joins (home, office, café) can use, pull and delete models without a password. "
        "Prefer `tailscale`; use this only on a trusted, wired network."
    ),
    "tailscale_required": (
        "True: the deploy stops before any change unless Tailscale is Running with an "
        "IPv4, so a logged-out Mac is never half-converged. False is accepted only with "
        "`ollama_bind: loopback` (a CI runner without a tailnet); clients then cannot reach "
        "the server."
    ),
    "claude_code_skip_permissions": (
        "Adds `--dangerously-skip-permissions` to the `claude-ollama` alias: Claude Code then "
        "edits files and runs shell commands without asking, steered by a local model that "
        "judges safety worse than Anthropic's. Use it only in a disposable checkout or "
        "container. The seed turned it on; remote-ollama leaves it off."
    ),
    "pmset": (
        "Runs `sudo pmset -a` with these values: it changes power settings for every user "
        "of the Mac and on battery too (`sleep: 0` keeps a laptop awake until its battery "
        "is empty). A key this Mac does not support (not listed by `pmset -g`, e.g. "
        "`autorestart` on many laptops) is skipped. Dropping a key leaves the Mac's current "
        "value; `{}` leaves power settings alone."
    ),
    "ollama_service": (
        "`agent`: a LaunchAgent in your GUI session; it runs only while someone is logged "
        "in at the Mac's screen, and the deploy stops if nobody is. `daemon`: a "
        "LaunchDaemon with `UserName` set to you, so Ollama starts at boot without a "
        "login, still as you (installing it needs sudo). Switching modes boots out the job "
        "of the other mode."
    ),
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def settings_table() -> str:
    """The README's settings section, generated from the schema: every setting with its
    group, default, example and description, then the longer notes and the old names."""
    rows = ["| setting | group | default | example | description |", "|---|---|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default_factory() if field.default_factory else field.default
        group = (field.json_schema_extra or {}).get("group", "all")
        note = " (see below)" if name in DETAILS else ""
        rows.append(f"| `{name}` | {group} | `{_cell(repr(default))}` | "
                    f"`{_cell(repr(field.examples[0]))}` | {_cell(field.description or '')}{note} |")  # fmt: skip
    rows += ["", "Settings to think twice about:", ""]
    rows += [f"- `{name}`: {text}" for name, text in DETAILS.items()]
    rows += ["", "Old names, which validation answers with the new one:", ""]
    rows += [f"- `{old}`: renamed to `{new}`" for old, new in RENAMED.items()]
    rows += [f"- `{old}`: removed; {why}" for old, why in REMOVED.items()]
    return "\n".join(rows)


# --- group_data/*.py: values set there, comments from the schema -------------------------

GROUP_DOCS = {
    "all": "Settings for every host, server and clients.",
    "server": "Settings for the `server` group: the Mac that runs Ollama.",
    "clients": "Settings for the `clients` group: machines that run Aider and Claude Code.",
}


def _python(value) -> str:
    """A value as it is written in group_data: double-quoted strings, Python literals."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(map(_python, value)) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_python(k)}: {_python(v)}" for k, v in value.items()) + "}"
    return repr(value)


def group_data_text(group: str, values: dict) -> str:
    """``group_data/<group>.py`` with these values: one ``# description`` comment (the
    schema's, wrapped) above each of the group's settings, in the schema's order."""
    lines = [f'"""{GROUP_DOCS[group]} See the README\'s settings table.', "",
             "The comments are the schema's descriptions (remote_ollama/settings_schema.py): edit",
             "there and run `python -m remote_ollama.settings_docs`, which rewrites this file",
             'keeping its values; a test fails when the two differ."""', ""]  # fmt: skip
    for name, field in Settings.model_fields.items():
        if (field.json_schema_extra or {}).get("group") != group:
            continue
        lines += textwrap.wrap(field.description or "", 90, initial_indent="# ",
                               subsequent_indent="# ", break_on_hyphens=False)  # fmt: skip
        default = field.default_factory() if field.default_factory else field.default
        lines.append(f"{name} = {_python(values.get(name, default))}")
    return "\n".join(lines) + "\n"


def group_data_values(path: Path) -> dict:
    """The settings a group_data file sets (it is plain Python, as pyinfra loads it)."""
    return {k: v for k, v in runpy.run_path(str(path)).items() if k in Settings.model_fields}


def write_group_data(folder: Path) -> list[Path]:
    """Rewrite ``folder/<group>.py`` for every group; return the files that changed."""
    changed = []
    for group in GROUP_DOCS:
        path = folder / f"{group}.py"
        text = group_data_text(group, group_data_values(path) if path.exists() else {})
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            changed.append(path)
    return changed


if __name__ == "__main__":  # python -m remote_ollama.settings_docs [group_data folder]
    import sys

    for path in write_group_data(Path(sys.argv[1] if len(sys.argv) > 1 else "group_data")):
        print(f"rewrote {path}")
