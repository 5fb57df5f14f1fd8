"""Homebrew facts read from its Cellar, without starting Ruby (brew costs ~1 s a call)."""

from __future__ import annotations

from typing import TypedDict

from remote_ollama.facts.base import ProbeFact


class Cellar(TypedDict):
    """``BrewCellar``'s value: installed versions by name."""

    formulae: dict[str, list[str]]
    casks: dict[str, list[str]]

BREW_PREFIX = "/opt/homebrew"
BREW_BIN = f"{BREW_PREFIX}/bin/brew"
# PATH for every command and fact on a Mac: Homebrew is not on a non-interactive SSH PATH.
BREW_PATH = f"{BREW_PREFIX}/bin:{BREW_PREFIX}/sbin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"


class BrewCellar(ProbeFact["Cellar | None"]):
    """Installed formulae and casks: ``{"formulae": {name: [versions]}, "casks": {...}}``.

    Lists ``Cellar/<name>/<version>`` and ``Caskroom/<name>/<version>`` directly, which
    is what ``brew list --versions`` reads; names with ``@`` (``python@3.12``) survive,
    unlike pyinfra 3.10's brew fact. None when Homebrew is not installed.

        "ollama" in host.get_fact(BrewCellar)["formulae"]
    """

    def command(self) -> str:
        return (
            f"if [ -x {BREW_BIN} ]; then echo brew; "
            f"for d in {BREW_PREFIX}/Cellar/*/* ; do [ -d \"$d\" ] && echo \"formula $d\"; done; "
            f"for d in {BREW_PREFIX}/Caskroom/*/* ; do [ -d \"$d\" ] && echo \"cask $d\"; done; "
            "fi"
        )

    def process(self, output) -> Cellar | None:
        if not output or output[0].strip() != "brew":
            return None
        found: Cellar = {"formulae": {}, "casks": {}}
        for line in output[1:]:
            kind, _, path = line.partition(" ")
            parts = path.rstrip("/").split("/")
            if kind not in ("formula", "cask") or len(parts) < 3:
                continue
            name, version = parts[-2], parts[-1]
            found["formulae" if kind == "formula" else "casks"].setdefault(name, []).append(
                version
            )
        return found
