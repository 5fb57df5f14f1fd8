"""The plan harness refuses a stub that does not answer what the deploy asks: a renamed
request (or stub key) would otherwise read as the fact's default, "absent", and the test
would plan for a different machine than it describes."""

from __future__ import annotations

import pytest

from tests.plan.harness import UnstubbedSection, plan
from tests.plan.macs import fresh_mac, stub


def test_a_stub_key_that_matches_no_request_fails_the_plan():
    sections = fresh_mac()
    sections["backups"] = sections.pop("backup")  # a typo, or a request renamed in server.py
    with pytest.raises(Exception) as caught:  # pyinfra wraps errors of a deploy file
        plan("server", server={"ai-server": stub(sections)})
    error = getattr(caught.value, "exception", caught.value)
    assert isinstance(error, UnstubbedSection)
    assert "asked ['backup']" in str(error)


def test_a_complete_stub_plans():
    assert plan("server", server={"ai-server": stub(fresh_mac())})["ai-server"].changes
