"""The launchd lifecycle pyinfra 3.10 lacks: bootstrap, reload on change, bootout."""

from __future__ import annotations

import shlex

from pyinfra import host
from pyinfra.api import operation

from remote_ollama.facts.launchd import LaunchdJob
from remote_ollama.probe import fact

# bootout returns before the job is gone; bootstrap right after fails with error 5.
WAIT_GONE = (
    "i=0; while launchctl print {target} >/dev/null 2>&1 && [ $i -lt 100 ]; "
    "do sleep 0.1; i=$((i+1)); done"
)


def bootstrap_command(domain: str, plist: str) -> str:
    return f"launchctl bootstrap {domain} {shlex.quote(plist)}"


def bootout_command(domain: str, label: str) -> str:
    target = f"{domain}/{label}"
    return f"launchctl bootout {target}; " + WAIT_GONE.format(target=target)


@operation()
def job_loaded(
    domain: str,
    label: str,
    plist: str,
    reload: bool = False,
    restart: bool = False,
    oneshot: bool = False,
):
    """Load a job if it is not loaded; reload it when its plist changed; restart on demand.

    ``launchctl kickstart`` does not re-read a plist, so a changed plist is applied with
    bootout + bootstrap. ``restart`` (a new binary) uses ``kickstart -k``.

    + domain: ``gui/<uid>`` for a LaunchAgent, ``system`` for a LaunchDaemon
    + label: the job's Label
    + plist: absolute path of the plist file
    + reload: the plist changed in this run
    + restart: the program changed in this run
    + oneshot: a job that runs once at load and exits (not running is normal)

    Example:

    .. code:: python

        job_loaded(domain="system", label="com.remote-ollama.ollama",
                   plist="/Library/LaunchDaemons/com.remote-ollama.ollama.plist",
                   reload=plist_op.will_change, _sudo=True)
    """
    job = fact(LaunchdJob, target=f"{domain}/{label}")
    if not job.get("loaded"):
        yield bootstrap_command(domain, plist)
    elif reload:
        yield bootout_command(domain, label)
        yield bootstrap_command(domain, plist)
    elif restart or (job.get("state") != "running" and not oneshot):
        yield f"launchctl kickstart -k {domain}/{label}"
    else:
        host.noop(f"{label} is loaded and running")


@operation()
def job_unloaded(domain: str, label: str):
    """Boot a job out of launchd if it is loaded.

    + domain: ``gui/<uid>`` or ``system``
    + label: the job's Label

    Example:

    .. code:: python

        job_unloaded(domain="gui/501", label="homebrew.mxcl.ollama")
    """
    if fact(LaunchdJob, target=f"{domain}/{label}").get("loaded"):
        yield bootout_command(domain, label)
    else:
        host.noop(f"{label} is not loaded")
