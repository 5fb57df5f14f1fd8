"""The probe's cache belongs to one run (one pyinfra State) and one Host, asked the way
the deploys ask: through pyinfra's context proxy (``from pyinfra import host``).

Before this, the cache was keyed on that proxy, which never dies, and told runs apart by
``id(state)``, which CPython gives again to a State made after an earlier one was freed.
In the plan suite a later test then and again planned from an earlier test's answers
(``test_an_apple_silicon_mac_under_rosetta_is_apple_silicon`` and
``test_unknown_ollama_job_stops_the_run_naming_it_unless_allowed`` each failed once).
"""

from __future__ import annotations

import gc

from pyinfra import host as context_host
from pyinfra.api import Config, Inventory, State
from pyinfra.context import ctx_host, ctx_state

from remote_ollama import probe
from remote_ollama.facts.system import Architecture

REQUEST = {"arch": (Architecture, {})}
APPLE_SILICON = ["uname=arm64", "arm64=1", "translated=0"]
DEBIAN_ARM = ["uname=aarch64", "arm64=", "translated="]


def new_run(name: str = "@fake/c") -> tuple[State, object]:
    """A State with one Host, as pyinfra's CLI and the plan harness make them."""
    inventory = Inventory(([name], {}))
    state = State(check_for_changes=False)
    state.init(inventory, Config())
    return state, inventory.get_host(name)


def answering(host, lines: list[str]) -> list[str]:
    """Make ``host`` answer every probe with ``lines`` as its Architecture section;
    returns the list of scripts it is asked (one per round trip)."""
    asked: list[str] = []

    def get_fact(cls, script):
        asked.append(script)
        return {"arch": (0, lines)}

    host.get_fact = get_fact
    return asked


def arch_in(state, host) -> str | None:
    with ctx_state.use(state), ctx_host.use(host):
        return probe.prime(context_host, REQUEST)["arch"]  # the proxy, as deploys pass it


def test_a_run_whose_state_gets_an_earlier_runs_id_still_asks_its_host(monkeypatch):
    # CPython gives a freed State's id to a State made later; here every State has one id.
    monkeypatch.setattr(probe, "id", lambda obj: 4242, raising=False)
    first, host = new_run()
    answering(host, APPLE_SILICON)
    assert arch_in(first, host) == "arm64"
    second, _ = new_run()
    host.init(second)  # the same Host object (same hash) in the later run
    asked = answering(host, DEBIAN_ARM)
    assert arch_in(second, host) == "aarch64"
    assert len(asked) == 1


def test_a_finished_run_leaves_nothing_in_the_cache():
    gc.collect()
    before = len(probe._cache)
    state, host = new_run()
    answering(host, APPLE_SILICON)
    assert arch_in(state, host) == "arm64"
    assert len(probe._cache) == before + 1
    del state, host
    gc.collect()  # State and Host hold each other: only the collector frees them
    assert len(probe._cache) == before


def test_the_proxy_and_the_host_share_one_cache_per_run():
    state, host = new_run()
    asked = answering(host, APPLE_SILICON)
    assert arch_in(state, host) == "arm64"
    with ctx_state.use(state), ctx_host.use(host):
        assert probe.fact(Architecture) == "arm64"  # the Host itself: no second round trip
        assert probe.prime(host, REQUEST) == {"arch": "arm64"}
    assert len(asked) == 1


def test_two_hosts_of_one_run_keep_their_own_answers():
    state, mac = new_run("@fake/mac")
    debian = Inventory((["@fake/debian"], {})).get_host("@fake/debian")
    debian.init(state)
    answering(mac, APPLE_SILICON)
    answering(debian, DEBIAN_ARM)
    assert (arch_in(state, mac), arch_in(state, debian)) == ("arm64", "aarch64")
    assert (arch_in(state, mac), arch_in(state, debian)) == ("arm64", "aarch64")


def test_forget_makes_the_hosts_next_question_a_round_trip():
    """What the bootstrap does before converging the rest on a freshly set up host."""
    state, host = new_run()
    asked = answering(host, APPLE_SILICON)
    arch_in(state, host)
    with ctx_state.use(state), ctx_host.use(host):
        probe.forget(context_host)
    assert arch_in(state, host) == "arm64"
    assert len(asked) == 2
