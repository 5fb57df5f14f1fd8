"""The Claude Code x Ollama compatibility matrix (data/compatibility.yaml) and its verdicts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

MATRIX = Path(__file__).resolve().parent / "data" / "compatibility.yaml"
SPEC_RE = re.compile(r"(<=|>=|<|>|==)?\s*([0-9][0-9A-Za-z.+-]*)")  # fullmatch


@dataclass(frozen=True)
class Verdict:
    """``status``: works, broken, untested (no entry) or unknown (Ollama version not known)."""

    status: str
    tested: str | None = None
    note: str = ""


def version_key(version: str) -> tuple[int, ...]:
    """Numeric parts of a version for ordering: '0.14.2-rc1' -> (0, 14, 2)."""
    parts = []
    for part in re.split(r"[.+-]", version):
        if not part.isdigit():
            break
        parts.append(int(part))
    return tuple(parts)


def matches(spec: str, version: str) -> bool:
    spec = str(spec).strip()
    if spec == "*":
        return True
    match = SPEC_RE.fullmatch(spec)
    if not match:
        raise ValueError(f"bad version spec {spec!r} in {MATRIX.name}")
    op, wanted = match.group(1) or "==", match.group(2)
    if op == "==":
        return version == wanted
    have, want = version_key(version), version_key(wanted)
    return {"<": have < want, "<=": have <= want, ">": have > want, ">=": have >= want}[op]


@cache
def load_matrix(path: Path = MATRIX) -> tuple[dict, ...]:
    pairs = (yaml.safe_load(path.read_text()) or {}).get("pairs") or []
    for pair in pairs:
        if pair.get("status") not in ("works", "broken"):
            raise ValueError(f"{path.name}: status must be works or broken: {pair}")
    return tuple(pairs)


def verdict(claude_code: str, ollama: str | None, pairs: tuple[dict, ...] | None = None) -> Verdict:
    """The first matching entry's status; ``untested`` when none matches."""
    if not ollama:
        return Verdict("unknown")
    for pair in load_matrix() if pairs is None else pairs:
        if matches(pair["claude_code"], claude_code) and matches(pair["ollama"], ollama):
            return Verdict(pair["status"], str(pair.get("tested") or ""), pair.get("note", ""))
    return Verdict("untested")
