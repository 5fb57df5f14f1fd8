"""pmset: the listing real Macs print, and idempotence when it leaves keys out."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from remote_ollama.facts.power import PmsetSettings
from remote_ollama.operations import power
from tests.unit.ops import key, run_op

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "macos"
WANTED = {"sleep": 0, "disksleep": 0, "autorestart": 1, "womp": 1}


def listing(name: str) -> list[str]:
    return (FIXTURES / name).read_text().splitlines()


def test_a_real_macbook_listing_has_no_autorestart():
    values = PmsetSettings().process(listing("pmset-g-macbook-14.txt"))
    assert "autorestart" not in values
    assert values["sleep"] == 1  # "1 (sleep prevented by sharingd)"
    assert values["SleepDisabled"] == 0  # tab-separated, under System-wide power settings
    assert values["womp"] == 0 and values["disksleep"] == 10
    assert "hibernatefile" not in values  # a path, not a number


@pytest.mark.parametrize("line", [
    " Sleep On Power Button 1",  # a name of several words, longer than %-20s
    " Sleep On Power Button 1\r",  # CRLF
    "\tSleep On Power Button\t1",
])
def test_names_of_several_words_and_odd_whitespace(line):
    assert PmsetSettings().process([line]) == {"Sleep On Power Button": 1}


def test_numbers_only_in_ascii_digits():
    assert PmsetSettings().process([" sleep ²", " womp 1 (x)", "Currently in use:"]) == {
        "womp": 1}


def run_pmset(caplog, current: dict) -> list[str]:
    with caplog.at_level(logging.WARNING):
        return run_op(power.pmset, {key(PmsetSettings): current}, settings=WANTED)


def test_keys_the_mac_does_not_list_are_left_alone_with_a_warning(caplog):
    current = PmsetSettings().process(listing("pmset-g-no-womp.txt"))
    assert run_pmset(caplog, current) == ["pmset -a disksleep 0 sleep 0"]
    assert "does not list autorestart, womp" in caplog.text


def test_second_run_on_a_mac_without_autorestart_changes_nothing(caplog):
    first = PmsetSettings().process(listing("pmset-g-macbook-14.txt"))
    assert run_pmset(caplog, first) == ["pmset -a disksleep 0 sleep 0 womp 1"]
    after = {**first, "sleep": 0, "disksleep": 0, "womp": 1}  # what pmset -g lists next
    assert run_pmset(caplog, after) == []
