"""Issue 15: a client rollout goes in inventory order, a batch at a time, and counts only
the clients that failed their install (operations/rollout.py).

The rollout runs inside pyinfra's gevent loop; here each client is a greenlet, started in
an order unrelated to the inventory (pyinfra starts them from a set), against a state
shaped like pyinfra's: ``inventory``, ``active_hosts``, ``ops[host][op_hash]``."""

from __future__ import annotations

from types import SimpleNamespace

import gevent
import gevent.pool
from hypothesis import given, settings
from hypothesis import strategies as st

from remote_ollama.operations import rollout


class Meta:
    def __init__(self):
        self.success = None

    def is_complete(self):
        return self.success is not None

    def did_succeed(self):
        assert self.success is not None, "pyinfra raises before completion"
        return self.success


class Host:
    def __init__(self, name):
        self.name = name
        self.current_op_hash = None

    def __repr__(self):
        return self.name


class State(SimpleNamespace):
    """Weak-referenceable, as pyinfra's State is."""

    __hash__ = object.__hash__


def fleet(count: int, op_hashes=("install",)):
    hosts = [Host(f"c{i}") for i in range(1, count + 1)]
    state = State(
        is_executing=False, inventory=hosts, active_hosts=rollout.InventoryOrder(hosts, hosts),
        ops={h: {op: SimpleNamespace(operation_meta=Meta()) for op in op_hashes} for h in hosts},
    )
    return state, hosts


def plan(state, hosts, op_hashes=("install",)):
    for op_hash in op_hashes:
        for h in hosts:
            h.current_op_hash = op_hash
            rollout.join(state, h)
    state.is_executing = True


def run(state, hosts, batch, start_order, fails=(), pool=None):
    """Every client's step at once (or as pyinfra does: from a pool of ``--parallel``
    greenlets, whose ``spawn`` blocks while the pool is full); returns the events in the
    order they happened."""
    events = []

    def step(h):
        rollout.wait_turn(state, h, "install", batch)
        events.append(("start", h.name))
        gevent.sleep(0.001)
        state.ops[h]["install"].operation_meta.success = h.name not in fails
        events.append(("end", h.name))

    with gevent.Timeout(10, AssertionError("the rollout deadlocked")):
        spawn = gevent.spawn if pool is None else pool.spawn
        gevent.joinall([spawn(step, h) for h in start_order], raise_error=True)
    return events


def assert_batches(events, hosts, batch):
    """No client started before every client of the earlier batches had ended."""
    position = {h.name: i for i, h in enumerate(hosts)}
    ended: set[str] = set()
    for kind, name in events:
        if kind == "end":
            ended.add(name)
            continue
        earlier = {h.name for h in hosts[: position[name] // batch * batch]} if batch else set()
        assert earlier <= ended, f"{name} started before {sorted(earlier - ended)} ended"
    assert ended == {h.name for h in hosts}


def test_the_first_batch_is_the_first_clients_of_the_inventory_whatever_the_start_order():
    state, hosts = fleet(4)
    plan(state, hosts)
    events = run(state, hosts, batch=1, start_order=list(reversed(hosts)))
    assert [name for kind, name in events if kind == "start"] == ["c1", "c2", "c3", "c4"]
    # one at a time: each client starts after the one before it ended
    assert events == [(k, n) for n in ("c1", "c2", "c3", "c4") for k in ("start", "end")]


@settings(max_examples=60, deadline=None)
@given(data=st.data(), count=st.integers(1, 7), batch=st.integers(0, 8))
def test_no_client_starts_before_every_earlier_batch_has_ended(data, count, batch):
    state, hosts = fleet(count)
    plan(state, hosts)
    order = data.draw(st.permutations(hosts))
    assert_batches(run(state, hosts, batch, order), hosts, batch)


@settings(max_examples=40, deadline=None)
@given(count=st.integers(1, 7), batch=st.integers(1, 8), parallel=st.integers(1, 4),
       order=st.permutations(range(7)))
def test_a_pool_smaller_than_the_rollout_does_not_deadlock(count, batch, parallel, order):
    """pyinfra starts a step's hosts from ``list(state.active_hosts)`` into its pool."""
    state, hosts = fleet(count)
    plan(state, hosts)
    state.active_hosts = rollout.InventoryOrder([hosts[i] for i in order if i < count], hosts)
    events = run(state, hosts, batch, list(state.active_hosts), pool=gevent.pool.Pool(parallel))
    assert_batches(events, hosts, batch)


def test_the_active_hosts_iterate_in_inventory_order_as_pyinfra_changes_them():
    hosts = [Host(n) for n in ("laptop-canary", "a-mac", "z-mac", "b-mac")]
    active = rollout.InventoryOrder(reversed(hosts), hosts)
    active -= {hosts[1]}  # State.fail_hosts
    active.add(hosts[1])  # State.activate_host
    active.discard(hosts[3])
    assert [h.name for h in list(active)] == ["laptop-canary", "a-mac", "z-mac"]
    assert type(active) is rollout.InventoryOrder and len(active) == 3


def test_keep_inventory_order_replaces_only_pyinfras_plain_set():
    hosts = [Host("b"), Host("a")]
    state = State(active_hosts=set(hosts), inventory=hosts)
    rollout.keep_inventory_order(state)
    ordered = state.active_hosts
    assert list(ordered) == hosts
    rollout.keep_inventory_order(state)
    assert state.active_hosts is ordered


def test_without_inventory_order_the_rollout_does_not_wait():
    """If pyinfra ever stops using a plain set, batches are off rather than a deadlock."""
    state, hosts = fleet(2)
    plan(state, hosts)
    state.active_hosts = set(hosts)
    events = run(state, hosts, batch=1, start_order=[hosts[1], hosts[0]])
    assert events[0] == ("start", "c2")


def test_a_client_with_nothing_to_install_holds_no_place_in_a_batch():
    state, hosts = fleet(3)
    plan(state, [hosts[0], hosts[2]])  # c2 already has the version: its step yields nothing
    assert rollout.queue(state, "install") == [hosts[0], hosts[2]]
    events = run(state, [hosts[0], hosts[2]], batch=1, start_order=[hosts[2], hosts[0]])
    assert events[:2] == [("start", "c1"), ("end", "c1")]


def test_without_pyinfras_change_check_every_client_with_the_step_takes_part():
    state, hosts = fleet(3)
    state.is_executing = True  # nothing joined at plan time
    assert rollout.queue(state, "install") == hosts


def test_a_client_that_failed_an_earlier_step_does_not_block_its_batch_followers():
    state, hosts = fleet(2)
    plan(state, hosts)
    state.active_hosts -= {hosts[0]}  # pyinfra removed it after an earlier step failed
    events = run(state, hosts, batch=1, start_order=[hosts[1]])
    assert events == [("start", "c2"), ("end", "c2")]


def test_failed_clients_counts_failed_installs_not_held_or_unfinished_clients():
    state, hosts = fleet(5, op_hashes=("claude", "aider"))
    plan(state, hosts, ("claude", "aider"))
    c1, c2, c3, c4, c5 = hosts
    state.ops[c1]["claude"].operation_meta.success = False
    state.ops[c1]["aider"].operation_meta.success = False  # the same client twice: one
    state.ops[c2]["aider"].operation_meta.success = False
    state.ops[c3]["claude"].operation_meta.success = True
    state.ops[c4]["claude"].operation_meta.success = False  # stopped by the gate, not failed
    rollout.hold(state, c4, "claude")
    assert rollout.failed_clients(state) == 2  # c5's step has not finished
    state.ops[c5]["claude"].operation_meta.success = False
    assert rollout.failed_clients(state) == 3


def test_joining_at_execution_changes_nothing():
    state, hosts = fleet(2)
    plan(state, [hosts[0]])
    hosts[1].current_op_hash = "install"
    rollout.join(state, hosts[1])  # is_executing: too late to take a place
    assert rollout.queue(state, "install") == [hosts[0]]


class StepHost(Host):
    """A client as a rollout step sees it: what it says, and the step it executes."""

    def __init__(self, name):
        super().__init__(name)
        self.executing_op_hash = self.current_op_hash = "install"
        self.said: list[str] = []

    def noop(self, message):
        self.said.append(message)

    def log_styled(self, message, **kwargs):
        self.said.append(message)


def drive(generator) -> tuple[list, bool]:
    """What a ``yield from rollout.step(...)`` yields, and what it returns."""
    yielded = []
    try:
        while True:
            yielded.append(next(generator))
    except StopIteration as end:
        return yielded, end.value


def test_a_step_with_its_version_installed_says_so_and_neither_joins_nor_gates():
    host, other = StepHost("c1"), StepHost("c2")
    state = State(is_executing=False, inventory=[host, other],
                  ops={h: {"install": None} for h in (host, other)})
    rollout.join(state, other)  # c2 will install
    assert drive(rollout.step(state, host, "Aider 0.86.2", "0.86.1", 1, 1,
                              installed="Aider 0.86.2 is installed")) == ([], False)
    assert host.said == ["Aider 0.86.2 is installed"]
    assert rollout.queue(state, "install") == [other]  # c1 takes no place in a batch


def test_a_step_that_installs_joins_and_puts_the_gate_first():
    host = StepHost("c1")
    state = State(is_executing=False, inventory=[host], ops={host: {"install": None}})
    check = object()
    (command,), goes_on = drive(rollout.step(state, host, "Aider 0.86.2", "0.86.1", 2, 1,
                                             check=check))
    assert goes_on is True
    assert (command.function, command.args) == (
        rollout.gate, ("Aider 0.86.2", "0.86.1", 2, 1, check))
    assert rollout.queue(state, "install") == [host]


def test_the_gate_holds_a_client_at_the_threshold_before_asking_its_check():
    state, _ = fleet(0)
    c1, c2, c3 = (StepHost(f"c{i}") for i in (1, 2, 3))
    state.inventory = [c1, c2, c3]
    state.active_hosts = rollout.InventoryOrder(state.inventory, state.inventory)
    state.ops = {h: {"install": SimpleNamespace(operation_meta=Meta())} for h in state.inventory}
    plan(state, state.inventory)
    asked = []

    def check(host):
        asked.append(host.name)
        return "the matrix marks the pair broken" if host is c2 else None

    assert rollout.gate(state, c1, "X 2", "1", 0, 1, check) is True
    assert rollout.gate(state, c2, "X 2", "1", 0, 1, check) is False  # its check says no
    state.ops[c1]["install"].operation_meta.success = False  # c1's install failed
    state.ops[c2]["install"].operation_meta.success = False  # c2 was held: not a failure
    assert rollout.gate(state, c3, "X 2", "1", 0, 1, check) is False
    assert asked == ["c1", "c2"]  # the threshold came first for c3
    assert c2.said == ["X 2 not installed: the matrix marks the pair broken; 1 stays in use."]
    assert c3.said == ["X 2 not installed: the rollout stopped after 1 client(s) failed; "
                       "1 stays in use."]
    assert rollout.failed_clients(state) == 1
