"""The server deploy on Macs whose `pmset -g` leaves out keys it does not support."""

from __future__ import annotations

import logging

from tests.plan.harness import plan
from tests.plan.macs import converged_mac, fresh_mac, group_settings, recorded, stub

STEP = "Keep the Mac awake (pmset)"


def plan_server(sections):
    return plan("server", server={"ai-server": stub(sections)})["ai-server"]


def converged(listing: list[str]) -> list[str]:
    """``listing`` after ``pmset -a sleep 0 disksleep 0 womp 1``."""
    values = {"sleep": "0", "disksleep": "0", "womp": "1"}
    out = []
    for line in listing:
        words = line.split()
        if words and words[0] in values:
            line = f" {words[0]:<20} {values[words[0]]}"
        out.append(line)
    return out


def test_macbook_without_autorestart_converges_then_stays_converged(caplog):
    listing = recorded("pmset-g-macbook-14.txt")
    with caplog.at_level(logging.WARNING):
        first = plan_server(fresh_mac(pmset=(0, listing)))
        assert first.commands_of(STEP) == ["pmset -a disksleep 0 sleep 0 womp 1"]
        second = plan_server(converged_mac(group_settings("server"),
                                           pmset=(0, converged(listing))))
    assert second.changes == []
    assert "does not list autorestart" in caplog.text


def test_mac_without_autorestart_or_womp_sets_only_what_it_has():
    listing = recorded("pmset-g-no-womp.txt")
    assert plan_server(fresh_mac(pmset=(0, listing))).commands_of(STEP) == [
        "pmset -a disksleep 0 sleep 0"]
    result = plan_server(converged_mac(group_settings("server"), pmset=(0, converged(listing))))
    assert result.changes == []
