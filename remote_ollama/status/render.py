"""The status document as a terminal table or one self-contained HTML page."""

from __future__ import annotations

import html
import json


def _versions(entry: dict) -> list[tuple[str, str | None, str | None]]:
    """(what, installed, pin) for every version this host should have."""
    rows = []
    if "server" in entry:
        server = entry["server"]
        rows.append(("Ollama", server.get("ollama"), server["pins"]["ollama"]))
    if "client" in entry:
        client = entry["client"]
        if client["pins"].get("claude_code"):
            rows.append(("Claude Code", client.get("claude_code"), client["pins"]["claude_code"]))
        rows.append(("Aider", client.get("aider"), client["pins"].get("aider")))
    return rows


def _matches(installed: str | None, pin: str | None) -> bool:
    return installed is not None and (pin == installed or (pin or "").startswith("Homebrew"))


def ordered(status: dict) -> list[dict]:
    """Servers first, then clients, each by name."""
    return sorted(status["hosts"], key=lambda e: ("server" not in e["roles"], e["host"]))


def _reach(entry: dict) -> str:
    return {True: "yes", False: "NO", None: "?"}[entry["reachable"]]


def _rollback_text(server: dict) -> str:
    record = server.get("rollback")
    if record:
        return f"{record.get('at', '?')}: {record.get('message', '?')} (pin known-bad)"
    record = server.get("rollback_resolved")
    if record:
        return f"{record.get('at', '?')}: {record.get('message', '?')} (since resolved)"
    return "none"


def _converge_text(view: dict) -> str:
    """The last converge that changed the host, for a server's or a client's view (each
    deploy's own record: ``rollback.converge_recorded``)."""
    record = view.get("last_converge")
    if not record:
        return "none recorded"
    changed = [str(step) for step in record.get("changed") or []]
    shown = ", ".join(changed[:4]) + (f" and {len(changed) - 4} more" if len(changed) > 4 else "")
    return f"{record.get('at', '?')}: {len(changed)} step(s) changed ({shown or '?'})"


def _client_converge_label(entry: dict) -> str:
    """``last converge``; on a host that is a server too, the client deploy's is named."""
    return "last client converge" if "server" in entry else "last converge"


def lines(status: dict) -> list[str]:
    """A fixed-width table, then one detail block per host."""
    head = ("HOST", "ROLE", "OS", "UP", "VERSIONS (installed/pin)", "DRIFT")
    rows = []
    for entry in ordered(status):
        versions = ", ".join(
            f"{what} {installed or '-'}" + ("" if _matches(installed, pin) else f" (pin {pin})")
            for what, installed, pin in _versions(entry)
        )
        rows.append((entry["host"], "+".join(entry["roles"]), entry.get("os") or "?",
                     _reach(entry), versions or "-",
                     f"{len(entry['drift'])} step(s)" if entry["drift"] else "none"))  # fmt: skip
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    out = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
           for row in [head, *rows]]  # fmt: skip
    for entry in ordered(status):
        details = []
        if entry["drift"]:
            details.append("would change: " + "; ".join(entry["drift"]))
        server = entry.get("server")
        if server:
            details.append(f"server: {'healthy' if server['healthy'] else 'NOT answering'}")
            details.append("models present: " + (", ".join(server["models"]) or "none")
                           + "; missing: " + (", ".join(server["missing"]) or "none")
                           + "; loaded: " + (", ".join(server["loaded"]) or "none"))  # fmt: skip
            upgrade = server.get("upgrade") or {}
            if upgrade:
                details.append(f"last verified upgrade: {upgrade.get('at')} to "
                               f"{upgrade.get('version')} (from {upgrade.get('from')})")
            details.append("last converge: " + _converge_text(server))
            details.append("last rollback: " + _rollback_text(server))
        if "client" in entry:
            details.append(_client_converge_label(entry) + ": "
                           + _converge_text(entry["client"]))
        if details:
            out.append("")
            out.append(f"{entry['host']}:")
            out += [f"  {d}" for d in details]
    if status.get("error"):
        out += ["", f"pyinfra: {status['error']}"]
    out += ["", f"as of {status['generated_at']}"]
    return out


def as_json(status: dict) -> str:
    return json.dumps(status, indent=2, sort_keys=True)


CSS = """
body{font:15px/1.4 -apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:2rem;
  background:#f6f7f9;color:#1d2330}
h1{font-size:1.4rem;margin:0 0 .2rem} .when{color:#667;margin-bottom:1.5rem}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:1rem}
.card{background:#fff;border-radius:10px;padding:1rem 1.2rem;box-shadow:0 1px 3px #0002;
  border-top:6px solid #2e9d5b}
.card.warn{border-top-color:#e0a100} .card.bad{border-top-color:#d33c3c}
.name{font-weight:600;font-size:1.1rem} .role{color:#667;font-size:.85rem}
.state{float:right;font-size:.8rem;font-weight:600;padding:.15rem .5rem;border-radius:99px;
  background:#e3f4ea;color:#1f7a45}
.warn .state{background:#fff2cc;color:#8a6400} .bad .state{background:#fbe0e0;color:#a12828}
table{border-collapse:collapse;width:100%;margin:.6rem 0;font-size:.9rem}
td{padding:.2rem .3rem;border-bottom:1px solid #eee} td.k{color:#667;width:40%}
.ok{color:#1f7a45} .no{color:#a12828;font-weight:600}
ul{margin:.3rem 0 0 1.1rem;padding:0;font-size:.85rem} .note{font-size:.85rem;color:#445}
"""


def _card_state(entry: dict) -> tuple[str, str]:
    server = entry.get("server") or {}
    if entry["reachable"] is False or (server and not server.get("healthy")):
        return "bad", "unreachable" if entry["reachable"] is False else "server down"
    if server.get("rollback"):
        return "warn", "rolled back"
    if entry["drift"] or any(not _matches(i, p) for _, i, p in _versions(entry)):
        return "warn", "drifted"
    return "", "converged"


def page(status: dict) -> str:
    """One HTML page, no external resources: a card per host, coloured by its state."""
    e = html.escape
    cards, counts = [], {}
    for entry in ordered(status):
        kind, label = _card_state(entry)
        counts[label] = counts.get(label, 0) + 1
        reach = _reach(entry)
        rows = [("OS", e(entry.get("os") or "?")),
                ("reachable", reach if reach == "yes" else f"<span class=no>{reach}</span>")]
        for what, installed, pin in _versions(entry):
            css = "ok" if _matches(installed, pin) else "no"
            rows.append((what, f"<span class={css}>{e(installed or 'missing')}</span>"
                               f" <small>pin {e(str(pin))}</small>"))  # fmt: skip
        server = entry.get("server")
        extra = ""
        if server:
            rows.append(("server", "<span class=ok>healthy</span>" if server["healthy"]
                         else "<span class=no>not answering</span>"))  # fmt: skip
            rows.append(("models", e(", ".join(server["models"]) or "none")))
            if server["missing"]:
                rows.append(("missing", f"<span class=no>{e(', '.join(server['missing']))}</span>"))
            rows.append(("loaded", e(", ".join(server["loaded"]) or "none")))
            if server.get("upgrade"):
                up = server["upgrade"]
                rows.append(("last upgrade", e(f"{up.get('version')} at {up.get('at')}")))
            rows.append(("last converge", e(_converge_text(server))))
            rows.append(("last rollback", e(_rollback_text(server))))
        if "client" in entry:
            rows.append((_client_converge_label(entry), e(_converge_text(entry["client"]))))
        if entry["drift"]:
            extra = ("<div class=note>A converge would change:</div><ul>"
                     + "".join(f"<li>{e(step)}</li>" for step in entry["drift"]) + "</ul>")
        table = "".join(f"<tr><td class=k>{k}</td><td>{v}</td></tr>" for k, v in rows)
        cards.append(
            f"<div class='card {kind}'><span class=state>{e(label)}</span>"
            f"<div class=name>{e(entry['host'])}</div>"
            f"<div class=role>{e(' + '.join(entry['roles']))}</div>"
            f"<table>{table}</table>{extra}</div>"
        )
    error = f"<p class=no>pyinfra: {e(status['error'])}</p>" if status.get("error") else ""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<title>remote-ollama fleet status</title><style>{CSS}</style></head><body>"
        f"<h1>remote-ollama fleet</h1><div class=when>{len(status['hosts'])} hosts: "
        + e(", ".join(f"{n} {label}" for label, n in sorted(counts.items())))
        + f" &middot; as of {e(status['generated_at'])}</div>"
        f"{error}<div class=grid>{''.join(cards)}</div></body></html>\n"
    )
