"""Verify a restarted Ollama on the host, and roll back to the previous job if it fails.

An upgrade is a change of the job's plist: a pinned version lives in its own folder
(``ollama_install_dir/<version>/ollama``) and the plist names that binary, so the previous
binary is never touched and switching back is writing the previous plist again. A plist
setting change (an ``OLLAMA_*`` value) is the same kind of change. So one rule covers
both: the deploy knows the previous plist (the probe read it whole), and when the job was
serving before and the plist changes, the step after the restart runs ONE script that

1. waits for ``/api/version`` and requires the version asked for (a pinned one);
2. checks the contract's three faces: ``/api/version`` (native), ``/v1/models`` (OpenAI),
   ``/v1/messages`` (Anthropic: the route must exist, and answer 200 for ``default_model``);
3. generates one token with ``default_model`` (when it is pulled);
4. on any failure writes the previous plist back, restarts the job, waits until it
   serves again, writes the rollback record and fails with one sentence:
   ``rolled back to 0.14.2: 0.13.5 failed /v1/messages (404)``.

Models, logs and every other file are untouched by a rollback; only the plist is
restored. The record (``RECORD``, JSON: what was tried, what was kept, when, why) is read
by the deploy's one probe: the next run does not try the same pin (or the same plist)
again and says so, until the pin changes or ``ollama_retry_failed`` is set. A verified
switch moves the record aside (``rollback.resolved.json``) and writes ``upgrade.json``;
``remote-ollama status`` shows both.

Homebrew's formula moving is the same kind of change, once the previous binary is kept.
An unpinned server runs ``opt/ollama/bin/ollama``, and ``brew upgrade ollama`` (by hand,
or ``brew upgrade`` of everything) links the new keg there and then, by default, deletes
the old keg (``Cleanup.install_clean!`` in Homebrew/brew ``cleanup.rb``; not with
``HOMEBREW_NO_INSTALL_CLEANUP``). The job keeps running the old version until it restarts.
So the deploy keeps a copy of the keg that serves, once verified, in our own folder
(``ollama_install_dir/homebrew/<version>``, which no ``brew cleanup`` touches: see
``homebrew_keg_kept``; an old keg still in the Cellar is kept before the restart). When the probe then finds Homebrew's version ahead of the one
that answers, the job is restarted on the new keg and verified as above, and the previous
plist to restore is the same plist naming the kept binary: "rolled back to 0.14.2: 0.15.1
failed ...". The kept copy serves until Homebrew's formula moves again (a failed version
stays known-bad, as a pin does). Only the copy of the version that serves (or that the
plist names) is kept; older copies are removed, by exact name.
"""

from __future__ import annotations

import hashlib
import plistlib
import re
import shlex
from dataclasses import dataclass

from pyinfra import host, logger

from remote_ollama.facts.files import DirectoryEntries, PathExists
from remote_ollama.facts.rollback import RollbackRecord
from remote_ollama.operations.launchd import bootout_command, bootstrap_command
from remote_ollama.operations.ollama import OURS_SCRIPT
from remote_ollama.step import operation

STATE_DIR = "~/.local/state/remote-ollama"
RECORD = f"{STATE_DIR}/rollback.json"
RESOLVED = f"{STATE_DIR}/rollback.resolved.json"
UPGRADE = f"{STATE_DIR}/upgrade.json"
CONVERGE = f"{STATE_DIR}/converge.json"  # the last converge that changed the host (server)
CLIENT_CONVERGE = f"{STATE_DIR}/converge.client.json"  # the client deploy's, on its own:
# a host in both groups runs both deploys, and one record would hide the other's
RECORD_CONVERGE = "Record this converge"  # its step's name (status leaves it out of drift)
RETRY_HINT = "pin another version, or retry with `--data ollama_retry_failed=true`"
VERSION_DIR = re.compile(r"/(\d+\.\d+\.\d+[^/]*)/(?:bin/)?ollama$")
VERSION_NAME = re.compile(r"\d+\.\d+\.\d+[A-Za-z0-9._+-]*")  # a kept copy's folder name
KEPT = "homebrew"  # ollama_install_dir/homebrew/<version>: copies of Homebrew's kegs


def state_paths(home: str) -> dict[str, str]:
    """Absolute paths of the record files in ``home``."""
    return {name: path.replace("~", home.rstrip("/"), 1)
            for name, path in (("record", RECORD), ("resolved", RESOLVED), ("upgrade", UPGRADE),
                       ("converge", CONVERGE), ("client_converge", CLIENT_CONVERGE))}  # fmt: skip


def converge_path(role: str) -> str:
    """Where a deploy's last converge is recorded (``~/...``): ``server`` or ``client``."""
    return CONVERGE if role == "server" else CLIENT_CONVERGE


def converge_request(role: str) -> dict:
    """The probe sections that read a deploy's last converge (both deploys' one probe); a
    client's also say whether the record and its folder are there, for an uninstall."""
    requests = {"last_converge": (RollbackRecord, {"path": converge_path(role)})}
    if role == "client":
        requests.update({"last_converge_present": (PathExists, {"path": CLIENT_CONVERGE}),
                         "state_dir": (DirectoryEntries, {"path": STATE_DIR})})
    return requests


def probe_requests() -> dict:
    """What the server deploy's one probe reads for this module."""
    return {"rollback": (RollbackRecord, {"path": RECORD}),
            "rollback_resolved": (RollbackRecord, {"path": RESOLVED}),  # for `status`
            "upgrade": (RollbackRecord, {"path": UPGRADE}),
            **converge_request("server")}


def plist_binary(text: str | None) -> str | None:
    """The program a job plist runs (``ProgramArguments[0]``), None if unreadable."""
    if not text:
        return None
    try:
        job = plistlib.loads(text.encode())
    except (plistlib.InvalidFileException, ValueError, TypeError):
        return None
    args = job.get("ProgramArguments") if isinstance(job, dict) else None
    return args[0] if isinstance(args, list) and args and isinstance(args[0], str) else None


def binary_version(binary: str | None) -> str | None:
    """``0.14.2`` for ``.../ollama/0.14.2/ollama`` (a pin) or ``.../homebrew/0.14.2/bin/ollama``
    (a kept copy of Homebrew's keg); None for Homebrew's ``opt`` link or unknown."""
    match = VERSION_DIR.search(binary or "")
    return match.group(1) if match else None


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Switch:
    """What a plist change switches: a version (another binary) or a setting."""

    kind: str  # "version" | "plist"
    tried: str  # as the sentence names it: "0.13.5", "Homebrew's Ollama", "the new plist"
    kept: str  # "0.14.2", "the previous plist (Ollama 0.14.2)"
    tried_version: str | None  # the version asked for, if a pin

    def sentence(self, why: str) -> str:
        return f"rolled back to {self.kept}: {self.tried} failed {why}"


def describe(previous: str, new: str, running: str | None,
             new_version: str | None = None) -> Switch:
    """Name the change from the previous plist to the new one, for the record and sentence.
    ``new_version``: what the new plist's binary is when its path does not say (Homebrew's)."""
    old_bin, new_bin = plist_binary(previous), plist_binary(new)
    running_label = running or binary_version(old_bin) or "the previous Ollama"
    if old_bin and binary_version(old_bin) is None:  # Homebrew's (or another unversioned path)
        running_label = f"Homebrew's Ollama {running}" if running else "Homebrew's Ollama"
    if old_bin != new_bin:
        new_version = binary_version(new_bin) or new_version
        return Switch("version", new_version or "Homebrew's Ollama", running_label, new_version)
    kept = f"the previous plist (Ollama {running})" if running else "the previous plist"
    changed = environment_changes(previous, new)
    tried = f"the new plist ({', '.join(changed)})" if changed else "the new plist"
    return Switch("plist", tried, kept, binary_version(new_bin))


UNSAFE = re.compile(r"[^A-Za-z0-9._,:/@%+=*\[\] -]")  # what may enter a sentence and the record


def environment_changes(previous: str, new: str, limit: int = 3) -> list[str]:
    """The job's environment variables that differ, as ``NAME=value`` (``NAME unset``)."""
    def env(text: str) -> dict:
        try:
            job = plistlib.loads(text.encode())
        except (plistlib.InvalidFileException, ValueError, TypeError):
            return {}
        value = job.get("EnvironmentVariables") if isinstance(job, dict) else None
        return value if isinstance(value, dict) else {}

    old, now = env(previous), env(new)
    changes = [f"{k}={now[k]}" for k in sorted(now) if old.get(k) != now[k]]
    changes += [f"{k} unset" for k in sorted(old) if k not in now]
    changes = [UNSAFE.sub("", c) for c in changes]
    return changes[:limit] + ([f"{len(changes) - limit} more"] if len(changes) > limit else [])


def known_bad(record: dict | None, new_plist: str, retry: bool,
              new_version: str | None = None) -> str | None:
    """Why ``new_plist`` must not be tried again on this host, or None.

    A failed version is known-bad while it is the pin (or Homebrew's version,
    ``new_version``), whatever else changes; a failed plist setting while the plist would
    be exactly the one that failed."""
    if not record or retry:
        return None
    if record.get("kind") == "version":
        tried = record.get("tried_version")
        if not tried or (binary_version(plist_binary(new_plist)) or new_version) != tried:
            return None
        what = f"Ollama {tried} is known-bad on this host"
    elif record.get("kind") == "plist":
        if record.get("tried_sha256") != sha256(new_plist):
            return None
        what = "this Ollama plist is known-bad on this host"
    else:
        return None
    return (f"{what}: {record.get('message', 'it failed its check')} (at {record.get('at', '?')}). "
            f"The Ollama job stays as it is; {RETRY_HINT}.")  # fmt: skip


def guard_plist(settings, seen: dict, plist_text: str, new_version: str | None = None) -> str:
    """The plist to write: ``plist_text``, or the current one if that is known-bad here."""
    current = (seen.get("plist") or {}).get("content")
    reason = known_bad(seen.get("rollback"), plist_text, settings.ollama_retry_failed,
                       new_version)
    if reason is None or current is None or current == plist_text:
        return plist_text
    logger.warning(f"{host.name}: {reason}")
    return current


# --- the last converge ------------------------------------------------------------------

def changed_steps() -> list[str]:
    """The names of this deploy's steps on this host, before the current one (the record
    step), that will change something.

    pyinfra 3.10 knows it while planning: each operation's ``OperationMeta.will_change``
    (``_maybe_is_change``, set when ``add_op`` ran its command generator once to see
    whether it yields a command; ``api/operation.py``), in ``host.op_hash_order``. The
    current step is ``host.current_op_hash`` (set while its generator runs, planning and
    executing); its name's deploy part (``remote-ollama client | ``) picks this deploy's
    steps: a host in both groups runs the server's deploy before the client's.

    A step's ``op_meta.names`` are every host's names for it (``Install Aider 0.86.2`` on
    one client, ``Install Aider 0.86.1`` on another: one step, one op hash). The host's own
    name is the ``name`` in its own step data (``global_arguments``); a step without one
    is named by pyinfra from its operation, the same on every host."""
    from pyinfra import state

    def names(op_hash: str) -> list[str]:
        return sorted(state.get_op_meta(op_hash).names or {op_hash})

    current = host.current_op_hash
    own = names(current)[0] if current else ""
    deploy = own.rsplit(" | ", 1)[0] + " | " if " | " in own else ""
    steps = []
    for op_hash in host.op_hash_order:
        if op_hash == current:  # this step (when executing, it has changed itself)
            break
        ours = [n for n in names(op_hash) if n.startswith(deploy)]
        data = state.get_op_data_for_host(host, op_hash)
        if not ours or not data.operation_meta.will_change:
            continue
        name = data.global_arguments.get("name")
        steps.append(name if name and deploy + name in ours else ours[0].rsplit(" | ", 1)[-1])
    return steps


@operation()
def converge_recorded(path: str, role: str):
    """Write when this converge ran and which steps changed the host, as the run's last
    step, and only when something changes: a no-op run sends nothing more than its probe.
    A run that fails stops before this step, so the record is the last converge that
    changed the host and finished (a failed upgrade leaves the rollback record instead).

    + path: the record (``converge_path(role)`` in the user's home, absolute)
    + role: ``server`` or ``client`` (the deploy)

    Example:

    .. code:: python

        converge_recorded(path="/Users/me/.local/state/remote-ollama/converge.json",
                          role="server")
    """
    import json

    changed = changed_steps()
    if not changed:
        host.noop("nothing changed: the last converge's record stands")
        return
    at = "@@remote-ollama-at@@"
    doc = json.dumps({"at": at, "role": role, "changed": changed}, sort_keys=True)
    q = shlex.quote
    yield (f"mkdir -p {q(path.rsplit('/', 1)[0])} && printf '%s\\n' {q(doc)} | "
           f"sed \"s/{at}/$(date -u +%Y-%m-%dT%H:%M:%SZ)/\" > {q(path)}")


# --- Homebrew's formula moving ---------------------------------------------------------

def kept_binary(install_dir: str, version: str) -> str:
    """The binary of the kept copy of Homebrew's keg ``version`` (the keg's own layout:
    ``bin/ollama`` beside whatever else it holds, e.g. ``lib/ollama``)."""
    return f"{install_dir.rstrip('/')}/{KEPT}/{version}/bin/ollama"


def _version_key(version: str) -> tuple:
    return tuple(int(n) for n in re.findall(r"\d+", version)[:4])


@dataclass(frozen=True)
class HomebrewMove:
    """What an unpinned server's deploy does about Homebrew's Ollama (``homebrew_move``)."""

    version: str | None  # Homebrew's Ollama: the newest keg (``brew upgrade`` links it)
    kegs: dict  # version -> keg folder name (``0.14.2_1`` for a formula revision)
    moved: bool  # the job runs Homebrew's link and another version answers: restart it
    keep_before: str | None  # copy now, before the restart: it answers, its keg is still there
    back_to: str | None  # a kept copy to go back to if the new version fails


def homebrew_move(cellar: dict | None, kept: list[str] | None, running: str | None,
                  current_binary: str | None, brew_binary: str) -> HomebrewMove:
    """Compare Homebrew's kegs, our kept copies and the version that answers (the probe's).

    ``cellar``: ``BrewCellar``; keg folders are versions, with ``_N`` for a formula
    revision (``0.14.2_1``), which ``/api/version`` does not say: copies are named by the
    version alone."""
    kegs = {k.split("_")[0]: k for k in sorted((cellar or {}).get("formulae", {}).get("ollama", []),
                                                key=_version_key)}  # fmt: skip
    version = max(kegs, key=_version_key) if kegs else None
    on_brew = current_binary == brew_binary
    moved = bool(on_brew and running and version and running != version)
    keep_before = running if moved and running in kegs and running not in (kept or []) else None
    back_to = running if moved and (running in (kept or []) or keep_before) else None
    return HomebrewMove(version, kegs, moved, keep_before, back_to)


def keg_path(prefix: str, move: HomebrewMove, version: str) -> str:
    return f"{prefix}/Cellar/ollama/{move.kegs[version]}"


@operation()
def homebrew_keg_kept(root: str, keep: str | None, keg: str | None, kept: list[str] | None,
                      needed: list[str], linked: str | None = None):
    """Keep a copy of Homebrew's Ollama keg that serves, for a rollback after Homebrew's
    formula moves (see the module doc); remove the copies no longer needed.

    + root: our folder of kept copies (``ollama_install_dir/homebrew``)
    + keep: the version to copy (None: nothing to copy, or see ``linked``)
    + keg: its keg (``/opt/homebrew/Cellar/ollama/0.14.2``), copied whole: ``cp -pR``
      keeps the keg's symlinks as links and its modes
    + kept: the copies there now (the probe's listing; None: no folder)
    + needed: the copies that stay (the one that serves, the one the plist names)
    + linked: Homebrew's ``opt/ollama`` link, when Ollama is installed by this very run:
      the keg it points to is copied (its version is known only then)

    Example:

    .. code:: python

        homebrew_keg_kept(root="/Users/me/.local/opt/ollama/homebrew", keep="0.14.2",
                          keg="/opt/homebrew/Cellar/ollama/0.14.2", kept=None, needed=["0.14.2"])
    """
    q = shlex.quote
    changed = False
    # Deletion rule: the recursive removals here are "<version>.partial", the scratch copy
    # these commands make themselves, and other copies in our folder named like a version.
    if keep and keg:
        target, partial = f"{root}/{keep}", f"{root}/{keep}.partial"
        yield (f"rm -rf {q(partial)} && mkdir -p {q(root)} && cp -pR {q(keg)} {q(partial)}"
               f" && [ -x {q(partial)}/bin/ollama ] && mv {q(partial)} {q(target)}")
        changed = True
    elif linked:
        yield (f"keg=$(cd {q(linked)} && pwd -P) && v=${{keg##*/}} && v=${{v%%_*}} && "
               'case "$v" in [0-9]*.[0-9]*.[0-9]*) ;; *) echo "not a version: $keg" >&2; '
               f"exit 1;; esac && {{ [ -d {q(root)}/\"$v\" ] || {{ "
               f"rm -rf {q(root)}/\"$v.partial\" && mkdir -p {q(root)} && "
               f"cp -pR \"$keg\" {q(root)}/\"$v.partial\" && "
               f"[ -x {q(root)}/\"$v.partial/bin/ollama\" ] && "
               f"mv {q(root)}/\"$v.partial\" {q(root)}/\"$v\"; }}; }}")
        changed = True
    for name in kept or []:
        ours = VERSION_NAME.fullmatch(name.removesuffix(".partial"))
        if ours and name not in needed and name != keep:  # only our version folders, by name
            yield f"rm -rf {q(f'{root}/{name}')}"
            changed = True
    if not changed:
        host.noop(f"Homebrew's Ollama is kept in {root}")


# --- the script run on the host ---------------------------------------------------------

HEREDOC = "REMOTE_OLLAMA_PREVIOUS_PLIST"
SAFE = "tr -cd 'A-Za-z0-9._+-'"  # what of a server's answer may enter the record

WAIT = """wait_api() {{  # $1: seconds; sets v to the version /api/version reports
  i=0; v=""
  while [ $i -lt "$1" ]; do
    v=$(curl -q -s --max-time 2 {url}/api/version | sed -n 's/.*"version" *: *"\\([^"]*\\)".*/\\1/p' | {safe})
    [ -n "$v" ] && return 0
    sleep 1; i=$((i+1))
  done
  return 1
}}
trap 'rm -f /tmp/ro-verify.$$' EXIT
code_of() {{ curl -q -s -o /tmp/ro-verify.$$ -w '%{{http_code}}' --max-time 120 "$@"; }}
"""

VERIFY = """verify() {{  # sets why on failure
  why=""
  wait_api {tries} || {{ why="/api/version (no answer within {tries}s; see {log})"; return 1; }}
  if [ -n {want} ] && [ "$v" != {want} ]; then why="/api/version (it says $v)"; return 1; fi
  c=$(code_of {url}/v1/models); [ "$c" = 200 ] || {{ why="/v1/models ($c)"; return 1; }}
  model={model}; have=""
  if [ -n "$model" ] && curl -q -s --max-time 10 {url}/api/tags | grep -q "\\"$model\\""; then have=1; fi
  c=$(code_of -H 'content-type: application/json' -H 'anthropic-version: 2023-06-01' \\
      -d "{{\\"model\\":\\"${{have:+$model}}\\",\\"max_tokens\\":1,\\"messages\\":[{{\\"role\\":\\"user\\",\\"content\\":\\"hi\\"}}]}}" \\
      {url}/v1/messages)
  if [ -n "$have" ]; then [ "$c" = 200 ] || {{ why="/v1/messages ($c)"; return 1; }}
  elif ! head -c 1 /tmp/ro-verify.$$ | grep -q '{{'; then why="/v1/messages ($c)"; return 1; fi
  if [ -n "$have" ]; then
    c=$(code_of -d "{{\\"model\\":\\"$model\\",\\"prompt\\":\\"hi\\",\\"stream\\":false,\\"options\\":{{\\"num_predict\\":1}}}}" {url}/api/generate)
    [ "$c" = 200 ] || {{ why="a one-token generation with $model ($c)"; return 1; }}
  fi
  if ! echo "$v {minimum}" | awk '{{split($1,a,".");split($2,b,".");for(i=1;i<=3;i++){{if(a[i]+0>b[i]+0)exit 0;if(a[i]+0<b[i]+0)exit 1}}exit 0}}'; then
    why="/api/version ($v is older than {minimum}, which /v1/messages needs)"; return 1
  fi
  return 0
}}
"""

ROLLBACK = """restore() {{
  {sudo}tee {plist} >/dev/null <<'{heredoc}' || return 1
{previous}{heredoc}
  {reload}
}}
record() {{  # $1: restored (true|false)
  mkdir -p {state_dir} && printf '%s\\n' "{{\\"at\\": \\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\\", \\"kind\\": \\"{kind}\\", \\"tried\\": \\"{tried}\\", \\"tried_version\\": \\"{tried_version}\\", \\"tried_sha256\\": \\"{digest}\\", \\"kept\\": \\"{kept}\\", \\"why\\": \\"$why\\", \\"message\\": \\"$msg\\", \\"restored\\": $1}}" > {record}
}}
"""

MAIN_VERIFY_ONLY = """if verify; then echo "Ollama $v verified at {url}"; exit 0; fi
echo "Ollama failed {why_prefix}$why" >&2; exit 1
"""

MAIN_ROLLBACK = """if verify; then
  mkdir -p {state_dir}; [ -f {record} ] && mv -f {record} {resolved}
  printf '%s\\n' "{{\\"at\\": \\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\\", \\"version\\": \\"$v\\", \\"from\\": \\"{kept}\\", \\"result\\": \\"verified\\"}}" > {upgrade}
  echo "Ollama $v verified at {url}"; exit 0
fi
failed="$why"; msg="{sentence_head}$failed"; why="$failed"
echo "{tried} failed $failed; rolling back to {kept}" >&2
if restore && wait_api {tries}{kept_check}; then
  record true; echo "$msg" >&2; exit 1
fi
msg="rollback to {kept} failed too after {tried} failed $failed; see {log}"
record false; echo "$msg" >&2; exit 1
"""


def verify_script(url: str, tries: int, want: str | None, minimum: str, log: str,
                  model: str | None) -> str:
    """The shell functions ``wait_api`` and ``verify`` (see the module doc)."""
    q = shlex.quote
    return WAIT.format(url=q(url), safe=SAFE) + VERIFY.format(
        url=q(url), tries=int(tries), want=q(want or ""), minimum=minimum, log=log,
        model=q(model or ""),
    )


def reload_command(domain: str, label: str, plist: str, sudo: bool) -> str:
    """Bootout (checked) and bootstrap (retried on 5 and 37) as ``launchd.job_loaded`` does,
    in a subshell so a failure returns from ``restore`` instead of ending the script."""
    both = f"{bootout_command(domain, label)}; {bootstrap_command(domain, plist)}"
    return f"sudo -n sh -c {shlex.quote(both)}" if sudo else f"( {both} )"


def rollback_script(*, url: str, tries: int, want: str | None, minimum: str, log: str,
                    model: str | None, previous: str, new: str, running: str | None,
                    plist: str, domain: str, label: str, sudo: bool, home: str,
                    new_version: str | None = None) -> str:
    """Verify, and on failure restore ``previous`` and record why (one shell script)."""
    if HEREDOC in previous:
        raise ValueError("the previous plist contains the here-document marker")
    q = shlex.quote
    switch = describe(previous, new, running, new_version)
    paths = state_paths(home)
    kept_check = f' && [ "$v" = {q(running)} ]' if running else ""
    head = switch.sentence("")
    body = ROLLBACK.format(
        sudo="sudo -n " if sudo else "", plist=q(plist), heredoc=HEREDOC,
        previous=previous if previous.endswith("\n") else previous + "\n",
        reload=reload_command(domain, label, plist, sudo),
        state_dir=q(paths["record"].rsplit("/", 1)[0]), kind=switch.kind, tried=switch.tried,
        tried_version=switch.tried_version or "", digest=sha256(new), kept=switch.kept,
        record=q(paths["record"]),
    )
    main = MAIN_ROLLBACK.format(
        url=url, state_dir=q(paths["record"].rsplit("/", 1)[0]), record=q(paths["record"]),
        resolved=q(paths["resolved"]), upgrade=q(paths["upgrade"]), kept=switch.kept,
        sentence_head=head, tried=switch.tried, tries=int(tries), kept_check=kept_check,
        log=log,
    )
    return verify_script(url, tries, want, minimum, log, model) + body + main


@operation()
def verified(base_url: str, timeout: int, minimum: str, log: str, needed: bool,
             want: str | None, model: str | None, previous: str | None, new: str,
             running: str | None, plist: str, domain: str, label: str, sudo: bool, home: str,
             target: str | None = None, port: int | None = None,
             new_version: str | None = None):
    """Wait for the restarted Ollama and verify it; roll back to ``previous`` if it fails.

    + base_url: the server's API
    + timeout: seconds to wait for ``/api/version`` (for the new job, then the old one)
    + minimum: lowest acceptable version
    + log: the job's stderr log, named in errors
    + needed: something restarted (or the probe saw no answer); else nothing to do
    + want: the version asked for (a pin), None for Homebrew's
    + model: ``default_model``, for the /v1/messages call and the one-token generation
    + previous: the plist to go back to: the one before this run, or, when Homebrew's
      formula moved, that plist naming the kept copy (None: nothing to roll back to)
    + new: the plist this run wrote
    + running: the version that served before this run (None: nothing served)
    + plist, domain, label, sudo: the job, as ``launchd.job_loaded`` has them
    + home: the user's home (the record lives in ``~/.local/state/remote-ollama``)
    + target, port: our job's service target and port: once verified, the listener on the
      port must be the pid launchd reports for it (``ollama.OURS_SCRIPT``), so someone
      else's server never passes as ours
    + new_version: the version the new plist runs when its path does not say (Homebrew's)

    Example:

    .. code:: python

        verified(base_url="http://100.64.0.1:11434", timeout=60, minimum="0.14.0",
                 log="/Users/me/Library/Logs/remote-ollama/ollama.err.log", needed=True,
                 want="0.15.0", model="qwen2.5-coder:7b", previous=old_text, new=new_text,
                 running="0.14.2", plist="/Users/me/Library/LaunchAgents/x.plist",
                 domain="gui/$(id -u)", label="com.remote-ollama.ollama", sudo=False,
                 home="/Users/me")
    """
    if not needed:
        host.noop("Ollama answers and nothing restarted")
        return
    args = dict(url=base_url, tries=timeout, want=want, minimum=minimum, log=log, model=model)
    if previous is None or previous == new or running is None:
        # Nothing served before, or the plist is unchanged (a restart): verify only.
        yield verify_script(**args) + MAIN_VERIFY_ONLY.format(url=shlex.quote(base_url),
                                                              why_prefix="")
    else:
        yield rollback_script(**args, previous=previous, new=new, running=running, plist=plist,
                              domain=domain, label=label, sudo=sudo, home=home,
                              new_version=new_version)
    if target and port:
        yield OURS_SCRIPT.format(target=target, port=int(port), tries=int(timeout), log=log)
