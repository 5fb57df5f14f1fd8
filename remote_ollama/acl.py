"""The Tailscale policy remote-ollama needs, derived from the inventory's settings.

Three parts, all keyed by the two tag settings and the Ollama port:

- ``tagOwners``: who may apply the server and client tags to devices;
- ``grants``: the client tag may reach the server tag on ``tcp:<port>`` and nothing else
  (Tailscale denies everything that no rule allows);
- ``tests``: checked by Tailscale before it accepts the policy: a client is accepted on
  ``<server-tag>:<port>`` and denied on other server ports; a non-client is denied on it.

``render_policy`` writes a whole policy file; ``remote_ollama.acl_merge`` adds the same
entries to an existing one. Output is deterministic: same settings, same text.

Example:
    >>> cfg = AclSettings("tag:ai-server", "tag:ai-client", 11434)
    >>> render_policy(cfg).count('"ip": ["tcp:11434"]')
    1
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from remote_ollama import hujson, hujson_edit
from remote_ollama.hujson import Span
from remote_ollama.settings import Settings

# Every comment remote-ollama writes inside an entry starts with this; it is how a later
# `--merge` recognises its own grants and tests even after the tags were renamed.
MARKER = "remote-ollama:"
DEFAULT_OWNER = "autogroup:admin"
# Server ports a client must NOT reach: SSH, HTTPS, macOS Screen Sharing.
OTHER_SERVER_PORTS = (22, 443, 5900)


class AclError(Exception):
    """The inventory's hosts disagree on a value the policy needs exactly once."""


@dataclass(frozen=True)
class AclSettings:
    """The three values the policy is built from."""

    server_tag: str
    client_tag: str
    port: int

    @classmethod
    def from_hosts(cls, settings: dict[str, Settings]) -> AclSettings:
        """One value per key across all hosts, or AclError naming who says what."""
        values = {}
        for key in ("tailscale_server_tag", "tailscale_client_tag", "ollama_port"):
            seen: dict[object, list[str]] = {}
            for host, host_settings in settings.items():
                seen.setdefault(getattr(host_settings, key), []).append(host)
            if len(seen) > 1:
                detail = "; ".join(f"{v!r} on {', '.join(h)}" for v, h in sorted(seen.items()))
                raise AclError(
                    f"hosts disagree on {key}: {detail}. The policy needs one value: set it "
                    "once in group_data/all.py and remove the per-host or per-group overrides."
                )
            values[key] = next(iter(seen))
        if values["tailscale_server_tag"] == values["tailscale_client_tag"]:
            raise AclError(
                f"tailscale_server_tag and tailscale_client_tag are both "
                f"{values['tailscale_server_tag']!r}; they must differ."
            )
        return cls(*values.values())

    @property
    def deny_ports(self) -> list[int]:
        return sorted(p for p in OTHER_SERVER_PORTS if p != self.port)


# --- entries, as lines of text with relative indentation ------------------------------


def _j(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _block(opener: str, closer: str, body: list[str]) -> list[str]:
    """Lines of a {...} or [...] whose body lines are already comma-terminated as needed."""
    return [opener, *("  " + line for line in body), closer]


def _pairs(comments: list[str], pairs: list[tuple[str, object]]) -> list[str]:
    lines = [f"// {c}" for c in comments]
    for index, (key, value) in enumerate(pairs):
        comma = "," if index < len(pairs) - 1 else ""
        lines.append(f"{_j(key)}: {_j(value)}{comma}")
    return lines


def grant_lines(cfg: AclSettings) -> list[str]:
    """The one grant: client tag -> server tag, Ollama's TCP port only."""
    body = _pairs(
        [f"{MARKER} clients may reach Ollama on the server over TCP {cfg.port}, nothing else."],
        [("src", [cfg.client_tag]), ("dst", [cfg.server_tag]), ("ip", [f"tcp:{cfg.port}"])],
    )
    return _block("{", "}", body)


def test_entries(cfg: AclSettings) -> list[list[str]]:
    """The policy tests, each as lines of one object."""
    client = _pairs(
        [f"{MARKER} a client reaches Ollama, and no other port on the server."],
        [
            ("src", cfg.client_tag),
            ("accept", [f"{cfg.server_tag}:{cfg.port}"]),
            ("deny", [f"{cfg.server_tag}:{p}" for p in cfg.deny_ports]),
        ],
    )
    non_client = _pairs(
        [
            f"{MARKER} a device without the client tag cannot reach Ollama.",
            f"{MARKER} a test's src must be an identity the policy knows (a user, group,",
            f"{MARKER} host or a tag in tagOwners); the server tag is the one non-client",
            f"{MARKER} tag this policy always defines, so it stands for 'not a client'.",
        ],
        [("src", cfg.server_tag), ("deny", [f"{cfg.server_tag}:{cfg.port}"])],
    )
    return [_block("{", "}", client), _block("{", "}", non_client)]


def tag_owner_comment(cfg: AclSettings, tag: str) -> str:
    role = "the Ollama server" if tag == cfg.server_tag else "coding-agent clients"
    return f"// {MARKER} tag of {role}."


def section_comment(name: str) -> list[str]:
    """Comments written above a top-level section remote-ollama creates."""
    return {
        "tagOwners": [
            f"// {MARKER} who may apply the server and client tags to a device",
            "// (for example with `tailscale up --advertise-tags=...`).",
        ],
        "grants": [
            f"// {MARKER} access is denied unless a grant allows it; this grant is the only",
            "// way to Ollama's port, and clients get nothing else on the server.",
        ],
        "tests": [
            f"// {MARKER} Tailscale runs these tests on every save and rejects the policy if",
            "// one fails, e.g. when another rule opens the server to everyone.",
        ],
    }[name]


# --- recognising remote-ollama's own entries -----------------------------------------


def is_own_entry(text: str, span: Span, section: str, cfg: AclSettings) -> bool:
    """Whether an element of ``grants`` or ``tests`` belongs to remote-ollama.

    Ours if a comment inside it starts with MARKER (so entries written for old tag names
    are found too), or, for hand-written equivalents, if it is a grant whose src and dst
    are exactly [client tag] and [server tag], or a test from one of our tags whose every
    destination is on the server tag.
    """
    if any(c.strip().startswith(MARKER) for c in hujson.comments(text[span.start : span.end])):
        return True
    entry = span.value
    if not isinstance(entry, dict):
        return False
    if section == "grants":
        return entry.get("src") == [cfg.client_tag] and entry.get("dst") == [cfg.server_tag]
    destinations = [*entry.get("accept", []), *entry.get("deny", [])]
    return (
        entry.get("src") in (cfg.client_tag, cfg.server_tag)
        and bool(destinations)
        and all(str(d).startswith(cfg.server_tag + ":") for d in destinations)
    )


# --- merging into a policy file -----------------------------------------------------------

SECTIONS = ("tagOwners", "grants", "tests")


def _root(text: str) -> Span:
    root = hujson.value_at(hujson.plain_json(text), 0)
    if not isinstance(root.value, dict):
        raise AclError("the policy file's top level must be an object { ... }")
    return root


def _section(text: str, name: str) -> hujson.Member | None:
    plain = hujson.plain_json(text)
    found = [m for m in hujson.members(plain, _root(text)) if m.key == name]
    if len(found) > 1:
        raise AclError(f"the policy file has {len(found)} {name!r} sections; keep one")
    if found:
        expected = dict if name == "tagOwners" else list
        if not isinstance(found[0].value.value, expected):
            kind = "an object { ... }" if expected is dict else "a list [ ... ]"
            raise AclError(f"the policy file's {name!r} must be {kind}")
    return found[0] if found else None


def _tag_owner_items(cfg: AclSettings, owners: list[str]) -> dict[str, str]:
    return {
        tag: f"{tag_owner_comment(cfg, tag)}\n{_j(tag)}: {_j(owners)}"
        for tag in sorted((cfg.server_tag, cfg.client_tag))
    }


def _section_text(name: str, items: list[str], is_object: bool) -> str:
    opener, closer = ("{", "}") if is_object else ("[", "]")
    body = []
    for index, item in enumerate(items):
        comma = "," if index < len(items) - 1 else ""
        body.extend(("  " + line) for line in (item + comma).split("\n"))
    return "\n".join([*section_comment(name), f"{_j(name)}: {opener}", *body, closer])


def _merge_tag_owners(text: str, cfg: AclSettings, owner: str | None) -> str:
    owners = [owner or DEFAULT_OWNER]
    items = _tag_owner_items(cfg, owners)
    section = _section(text, "tagOwners")
    if section is None:
        return hujson_edit.append_item(
            text, _root(text), _section_text("tagOwners", list(items.values()), True)
        )
    for tag, item in items.items():
        section = _section(text, "tagOwners")
        plain = hujson.plain_json(text)
        existing = {m.key: m for m in hujson.members(plain, section.value)}
        if tag not in existing:
            text = hujson_edit.append_item(text, section.value, item)
        elif owner is not None and existing[tag].value.value != owners:
            text = hujson_edit.replace_value(text, existing[tag].value, _j(owners))
    return text


def _merge_list(text: str, name: str, entries: list[str], cfg: AclSettings) -> str:
    section = _section(text, name)
    if section is None:
        return hujson_edit.append_item(text, _root(text), _section_text(name, entries, False))
    while True:  # drop our old entries one at a time (offsets move after each edit)
        plain = hujson.plain_json(text)
        own = [
            span
            for span in hujson.elements(plain, _section(text, name).value)
            if is_own_entry(text, span, name, cfg)
        ]
        if not own:
            break
        text = hujson_edit.remove_item(text, own[0])
    for entry in entries:
        text = hujson_edit.append_item(text, _section(text, name).value, entry)
    return text


def merge_policy(text: str, cfg: AclSettings, owner: str | None = None) -> str:
    """Add or update remote-ollama's entries in a policy file's text; idempotent.

    Only these change: the two tags' keys in ``tagOwners`` (added when missing; their
    owners replaced only when ``owner`` is given), remote-ollama's grant and tests (old
    ones removed, current ones appended at the end of their list). Every other rule and
    every comment outside those entries is kept byte for byte.
    """
    text = _merge_tag_owners(text, cfg, owner)
    text = _merge_list(text, "grants", ["\n".join(grant_lines(cfg))], cfg)
    return _merge_list(text, "tests", ["\n".join(t) for t in test_entries(cfg)], cfg)


# --- the whole file ---------------------------------------------------------------------


def header(cfg: AclSettings) -> str:
    return "\n".join(
        [
            "// Tailscale policy file (HuJSON), generated by `remote-ollama acl`. Do not edit:",
            "// re-run the command and review the diff. To keep rules of your own, merge into",
            "// your policy instead: `remote-ollama acl --merge policy.hujson`.",
            f"// Clients ({cfg.client_tag}) may reach the Ollama server ({cfg.server_tag})",
            f"// on tcp:{cfg.port} only.",
        ]
    )


def render_policy(cfg: AclSettings, owner: str = DEFAULT_OWNER) -> str:
    """The whole policy file: a header, then remote-ollama's entries merged into ``{}``."""
    return header(cfg) + "\n" + merge_policy("{\n}\n", cfg, owner=owner)
