"""A client rollout: batches in inventory order, and a threshold of failed clients.

A rollout step (a client's new Claude Code, say) runs on every client at once, and its
first command, a ``FunctionCommand``, calls ``wait_turn``: it holds the client until the
clients before it in the inventory, ``batch`` at a time, have finished the same step.
Then ``failed_clients`` counts the clients whose rollout step failed so far, and ``gate``
decides whether to go on. ``step`` is the prologue both install steps share (Claude Code's
in client_upgrade.py, Aider's in aider.py).

Why not pyinfra's per-operation ``_parallel``: it cuts the hosts into batches in the order
of ``State.active_hosts``, which is a set (pyinfra/api/operations.py, ``_run_single_op``),
so which clients went first changed from run to run, and a threshold of "one failure"
could let the second client through before the first had failed. The same set gives the
order in which pyinfra starts each step's hosts in its pool of ``--parallel`` greenlets;
``keep_inventory_order`` (called by ``deploy_setup.prepare``) makes it iterate in
inventory order. That is what keeps the waiting free of deadlock: a client only waits
for clients started before it, so the pool's slots are never all held by waiting clients
while one they wait for has no slot.

Which clients take part is known when the deploy is planned: pyinfra runs each step's
body once then, to see whether it will change anything, and a step that will install
calls ``join`` there. A client with nothing to install does not hold a place in a batch.
(With pyinfra's change check off, every client with the step takes part.)
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from weakref import WeakKeyDictionary

import gevent
from pyinfra import logger
from pyinfra.api import FunctionCommand

from remote_ollama.probe import unwrapped

POLL_SECONDS = 0.05

# per pyinfra State (the object itself: pyinfra's ``state`` proxy outlives every run),
# op hash -> {"planned": host names that will install, "held": host
# names the threshold or the matrix stopped (they did not fail their install)}
_ROLLOUTS: WeakKeyDictionary = WeakKeyDictionary()


class InventoryOrder(set):
    """A set of hosts that iterates in inventory order (for ``State.active_hosts``)."""

    def __init__(self, hosts, inventory):
        super().__init__(hosts)
        self.rank = {h: i for i, h in enumerate(inventory)}

    def __iter__(self):
        return iter(sorted(super().__iter__(), key=lambda h: self.rank.get(h, len(self.rank))))


def keep_inventory_order(state) -> None:
    """Make pyinfra visit the hosts of every step in inventory order (idempotent)."""
    if type(state.active_hosts) is set:  # pyinfra 3.10: State.__init__'s plain set
        state.active_hosts = InventoryOrder(state.active_hosts, state.inventory)


def _rollout(state, op_hash: str) -> dict[str, set[str]]:
    per_run = _ROLLOUTS.setdefault(unwrapped(state), {})  # the State, not pyinfra's proxy
    return per_run.setdefault(op_hash, {"planned": set(), "held": set()})


def join(state, host) -> None:
    """In a rollout step's body, when it will install: this client takes part (plan time).

    Not while ``step.nothing_to_do`` looks ahead, outside any planned step (no hash yet)."""
    if not state.is_executing and host.current_op_hash is not None:
        _rollout(state, host.current_op_hash)["planned"].add(host.name)


def queue(state, op_hash: str) -> list:
    """The clients of the rollout step ``op_hash``, in inventory order."""
    planned = _rollout(state, op_hash)["planned"]
    return [h for h in state.inventory
            if op_hash in state.ops.get(h, {}) and (not planned or h.name in planned)]


def _finished(state, host, op_hash: str) -> bool:
    return (host not in state.active_hosts
            or state.ops[host][op_hash].operation_meta.is_complete())


def wait_turn(state, host, op_hash: str, batch: int) -> None:
    """Return once every client of the earlier batches has finished ``op_hash``.

    ``batch`` 0 means one batch: no waiting."""
    clients = queue(state, op_hash)  # also registers the step for ``failed_clients``
    if batch <= 0 or host not in clients or not isinstance(state.active_hosts, InventoryOrder):
        return  # (pyinfra starting hosts in any other order could deadlock the waiting)
    ahead = clients[: clients.index(host) // batch * batch]
    while not all(_finished(state, h, op_hash) for h in ahead):
        gevent.sleep(POLL_SECONDS)


def hold(state, host, op_hash: str) -> None:
    """The step stops ``host`` before it installs: not counted as a failed client."""
    _rollout(state, op_hash)["held"].add(host.name)


def failed_clients(state) -> int:
    """Clients whose rollout step (any of this run's) has failed so far."""
    failed = set()
    for op_hash, rollout in _ROLLOUTS.get(unwrapped(state), {}).items():
        for h, ops in state.ops.items():
            meta = ops[op_hash].operation_meta if op_hash in ops else None
            if (meta is not None and h.name not in rollout["held"] and meta.is_complete()
                    and not meta.did_succeed()):
                failed.add(h.name)
    return len(failed)


def gate(state, host, what: str, previous: str, batch: int, max_failures: int,
         check: Callable[[object], str | None] | None = None) -> bool:
    """At execution, before the install: the client's turn, then the threshold of failed
    clients, then ``check(host)`` (a reason not to install, or None). False, and one
    sentence, stops the host before anything is sent to it.

    + what: e.g. ``Aider 0.86.2``
    + previous: the version in use, which stays (e.g. ``0.86.1``, ``no Aider``)
    + batch, max_failures: the rollout's (0: one batch; never stop)
    """
    op_hash = host.executing_op_hash
    wait_turn(state, host, op_hash, batch)
    failed = failed_clients(state)
    if max_failures and failed >= max_failures:
        reason = f"the rollout stopped after {failed} client(s) failed"
    else:
        reason = check(host) if check else None
    if reason is None:
        return True
    hold(state, host, op_hash)
    host.log_styled(f"{what} not installed: {reason}; {previous} stays in use.", fg="red",
                    log_func=logger.error)
    return False


def step(state, host, what: str, previous: str, batch: int, max_failures: int,
         installed: str | None = None, check: Callable[[object], str | None] | None = None,
         ) -> Generator[FunctionCommand, None, bool]:
    """A rollout install step's prologue, for ``yield from``: True when the install follows.

    ``installed``, the sentence that the version is already there (else None), means
    nothing to do: it is said as the step's no-op, and the result is False. Otherwise
    this client joins the rollout (at plan time) and ``gate`` is the step's first command
    (at execution). The other arguments are ``gate``'s.

    Example, in an operation's body:

    .. code:: python

        if not (yield from rollout.step(state, host, "Aider 0.86.2", "0.86.1", batch=2,
                                        max_failures=1, installed=None)):
            return
    """
    if installed:
        host.noop(installed)
        return False
    join(state, host)
    yield FunctionCommand(gate, (what, previous, batch, max_failures, check), {})
    return True
