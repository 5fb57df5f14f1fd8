"""The launchd lifecycle pyinfra 3.10 lacks: bootstrap, reload on change, bootout, retire."""

from __future__ import annotations

import shlex

from pyinfra import host

from remote_ollama.facts.launchd import LABEL_RE, LaunchdJob
from remote_ollama.probe import fact
from remote_ollama.step import operation

# `launchctl bootout` may return before the job is gone, and may fail while the job is
# still loaded. Either way what counts is `launchctl print`: exit 113 ("Could not find
# service") means gone. Waits up to 10 s; any other answer is a failure, in launchd's words.
BOOTOUT = (
    'out=$(launchctl bootout {target} 2>&1); rc=$?; i=0; '
    'while :; do launchctl print {target} >/dev/null 2>&1; p=$?; '
    '[ $p -eq 113 ] && break; '
    'if [ $i -ge 100 ]; then echo "launchctl bootout {target} did not unload it '
    '(bootout exit $rc: $out; launchctl print exit $p)" >&2; exit 1; fi; '
    "sleep 0.1; i=$((i+1)); done"
)

# `Bootstrap failed: 5: Input/output error` and `37: Operation already in progress` come
# from a bootout still in progress: retried, bounded (5 tries, 1 s apart). Anything else,
# or the same error after the last try, fails with launchd's own words.
BOOTSTRAP = (
    "i=0; while :; do out=$(launchctl bootstrap {domain} {plist} 2>&1); rc=$?; "
    "[ $rc -eq 0 ] && break; i=$((i+1)); "
    'case "$rc:$out" in 5:*|37:*|*"failed: 5:"*|*"failed: 37:"*) '
    "[ $i -lt 5 ] && {{ sleep 1; continue; }};; esac; "
    'echo "launchctl bootstrap {domain} {plist} failed (exit $rc): $out" >&2; exit 1; done'
)


def bootstrap_command(domain: str, plist: str) -> str:
    return BOOTSTRAP.format(domain=domain, plist=shlex.quote(plist))


def bootout_command(domain: str, label: str) -> str:
    return BOOTOUT.format(target=f"{domain}/{label}")


def stale(job: dict, arguments: list[str] | None) -> bool:
    """Whether a loaded job runs other arguments than its plist says (loaded from an older
    definition). ``launchctl print`` lists ``arguments``; without them, its ``program``."""
    if not arguments or not job.get("loaded"):
        return False
    if job.get("arguments"):
        return list(job["arguments"]) != list(arguments)
    return bool(job.get("program")) and job["program"] != arguments[0]


@operation()
def job_loaded(
    domain: str,
    label: str,
    plist: str,
    reload: bool = False,
    restart: bool = False,
    oneshot: bool = False,
    arguments: list[str] | None = None,
    serving: bool = True,
):
    """Load a job if it is not loaded; reload it when its plist changed; restart on demand.

    ``launchctl kickstart`` does not re-read a plist, so a changed plist, or a loaded job
    whose program and arguments differ from the plist's, is applied with bootout +
    bootstrap. ``restart`` (a new binary) and ``serving=False`` (the job does not hold its
    port) use ``kickstart -k``.

    + domain: ``gui/<uid>`` for a LaunchAgent, ``system`` for a LaunchDaemon
    + label: the job's Label
    + plist: absolute path of the plist file
    + reload: the plist changed in this run
    + restart: the program changed in this run
    + oneshot: a job that runs once at load and exits (not running is normal)
    + arguments: the plist's ProgramArguments, compared with the loaded job's
    + serving: False when the probe saw that the job does not serve (not its port's listener)

    Example:

    .. code:: python

        job_loaded(domain="system", label="com.remote-ollama.ollama",
                   plist="/Library/LaunchDaemons/com.remote-ollama.ollama.plist",
                   reload=plist_op.will_change, _sudo=True)
    """
    job = fact(LaunchdJob, target=f"{domain}/{label}")
    if not job.get("loaded"):
        yield bootstrap_command(domain, plist)
    elif reload or stale(job, arguments):
        yield bootout_command(domain, label)
        yield bootstrap_command(domain, plist)
    elif restart or (not oneshot and (job.get("state") != "running" or not serving)):
        yield f"launchctl kickstart -k {domain}/{label}"
    else:
        host.noop(f"{label} is loaded and running")


@operation()
def job_unloaded(domain: str, label: str):
    """Boot a job out of launchd if it is loaded, and wait until launchd says it is gone.

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


NOTE = (
    "{date}: remote-ollama moved {plist} here as {dest}: its launchd job {label} ran "
    "another Ollama server ({why}), which would compete with remote-ollama's job for the "
    "port. To go back: uninstall remote-ollama, move the file back, then launchctl "
    "bootstrap it (gui/<your uid> for a LaunchAgent, system for a LaunchDaemon)."
)
DATE = "@@date@@"


@operation()
def job_retired(label: str, domain: str | None, plist: str | None, backup_dir: str, why: str):
    """Retire another launchd job: boot it out, and move its plist into ``backup_dir``
    with a line in ``backup_dir/README.txt`` saying where it came from and why.

    + label: the job's Label
    + domain: where it is loaded (``gui/<uid>``, ``user/<uid>``, ``system``), or None
    + plist: its plist, or None
    + backup_dir: folder that keeps retired plists (created if missing)
    + why: a few words for the note, e.g. "the install scripts' LaunchAgent"

    Example:

    .. code:: python

        job_retired(label="com.ollama", domain="gui/501",
                    plist="/Users/me/Library/LaunchAgents/com.ollama.plist",
                    backup_dir="/Users/me/Library/Logs/remote-ollama-backup",
                    why="the install scripts' LaunchAgent")
    """
    if not LABEL_RE.fullmatch(label):
        raise ValueError(f"not a launchd label: {label!r}")
    if domain:
        yield bootout_command(domain, label)
    if plist:
        name = plist.rsplit("/", 1)[-1]
        folder = shlex.quote(backup_dir)
        note = NOTE.format(date=DATE, plist=plist, dest=f"{backup_dir}/{DATE}-{name}",
                           label=label, why=why)
        template = shlex.quote(note.replace("%", "%%").replace(DATE, "%s") + "\\n")
        yield (
            f"d=$(date +%Y%m%d-%H%M%S); if [ -e {shlex.quote(plist)} ]; then "
            f"mkdir -p {folder} && mv {shlex.quote(plist)} {folder}/\"$d\"-{shlex.quote(name)} && "
            f'printf {template} "$d" "$d" >> {folder}/README.txt; fi'
        )
