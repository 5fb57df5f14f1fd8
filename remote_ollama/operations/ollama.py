"""Installing Ollama and waiting for its API."""

from __future__ import annotations

import shlex

from pyinfra import host

from remote_ollama.facts.files import PathExists
from remote_ollama.facts.system import ProcessRunning
from remote_ollama.operations.download import bounded_download
from remote_ollama.probe import fact
from remote_ollama.step import operation


@operation()
def release_installed(version: str, url: str, directory: str):
    """Unpack an exact Ollama release archive into ``directory`` (one folder per version).

    Keeping each version in its own folder makes downgrade a pin change: the plist then
    points at the other folder and the job restarts.

    + version: e.g. ``0.14.2``
    + url: archive URL
    + directory: target folder, e.g. ``/Users/me/.local/opt/ollama/0.14.2``

    Example:

    .. code:: python

        release_installed(version="0.14.2", directory="/Users/me/.local/opt/ollama/0.14.2",
            url="https://github.com/ollama/ollama/releases/download/v0.14.2/ollama-darwin.tgz")
    """
    if fact(PathExists, path=f"{directory}/ollama"):
        host.noop(f"Ollama {version} is unpacked")
        return
    partial = f"{directory}.partial"
    tmp, tgz = shlex.quote(partial), shlex.quote(f"{partial}/ollama-darwin.tgz")
    # Deletion rule: only what the deploy creates, by exact name. The one recursive removal
    # here is "<version folder>.partial", the scratch folder this command makes itself.
    clear = f"rm -rf {tmp}"
    download = bounded_download(url, f"{partial}/ollama-darwin.tgz", f"Ollama {version}",
                                cleanup=clear)  # fmt: skip
    yield (
        f"{clear} && mkdir -p {tmp} && {download} && tar -xzf {tgz} -C {tmp}"
        f" && rm -f {tgz} && [ -x {tmp}/ollama ] && mv {tmp} {shlex.quote(directory)}"
    )


# Poll /api/version until it answers, then require a minimum version (awk compares).
WAIT_SCRIPT = """i=0; v=""
while [ $i -lt {tries} ]; do
  v=$(curl -q -s --max-time 2 {url}/api/version | sed -n 's/.*"version" *: *"\\([^"]*\\)".*/\\1/p')
  [ -n "$v" ] && break
  sleep 1; i=$((i+1))
done
if [ -z "$v" ]; then echo "Ollama did not answer {url}/api/version within {tries}s; see {log}" >&2; exit 1; fi
if ! echo "$v {minimum}" | awk '{{split($1,a,".");split($2,b,".");for(i=1;i<=3;i++){{if(a[i]+0>b[i]+0)exit 0;if(a[i]+0<b[i]+0)exit 1}}exit 0}}'; then
  echo "Ollama $v is older than {minimum}, which /v1/messages needs" >&2; exit 1
fi
echo "Ollama $v answers at {url}"
"""

# The answer must come from our job: the only listener on the port is the pid launchd
# reports for our label (lsof under sudo when it needs no password, to see root's too).
# Retried while the wait lasts, since an old server may still be on its way out.
OURS_SCRIPT = """s=; sudo -n true 2>/dev/null && s='sudo -n'; i=0
while :; do
  job=$(launchctl print {target} 2>&1)
  pid=$(printf '%s\\n' "$job" | sed -n 's/^[[:space:]]*pid = \\([0-9][0-9]*\\)[[:space:]]*$/\\1/p' | head -n 1)
  l=$($s lsof -nP -iTCP:{port} -sTCP:LISTEN -t 2>/dev/null | sort -u | tr '\\n' ' ')
  [ -n "$pid" ] && [ "$l" = "$pid " ] && break
  if [ $i -ge {tries} ]; then
    echo "Port {port} is not served by the job {target}: listener pid(s) ${{l:-none}}, job pid ${{pid:-none}}." >&2
    for p in $l; do [ "$p" = "$pid" ] || echo "Another server answers: $(ps -o pid=,user=,command= -p $p 2>/dev/null)" >&2; done
    printf '%s\\n' "$job" | grep -E '^[[:space:]]*(state|runs|last exit code) = ' >&2
    echo "Stop the other server (see the deploy's own checks), then run the deploy again; see {log}" >&2
    exit 1
  fi
  sleep 1; i=$((i+1))
done
echo "the listener on port {port} is {target} (pid $pid)"
"""


@operation()
def api_healthy(base_url: str, timeout: int, minimum: str, log: str, needed: bool = True,
                target: str | None = None, port: int | None = None):
    """Wait, bounded, for ``/api/version``, require at least ``minimum``, and prove that
    the answer came from our job: the listener on ``port`` is the pid launchd reports for
    ``target``. Someone else's server answering fails the run, naming it.

    + base_url: the server's API
    + timeout: seconds to wait
    + minimum: lowest acceptable version
    + log: log file named in the error
    + needed: False when the probe already saw our job serving and nothing restarted
    + target: our job's launchd service target (``gui/<uid>/<label>``); with ``port``
    + port: the Ollama port

    Example:

    .. code:: python

        api_healthy(base_url="http://127.0.0.1:11434", timeout=60, minimum="0.14.0",
                    log="/Users/me/Library/Logs/remote-ollama/ollama.err.log",
                    target="gui/501/com.remote-ollama.ollama", port=11434)
    """
    if not needed:
        host.noop("Ollama answers and nothing restarted")
        return
    yield WAIT_SCRIPT.format(
        url=shlex.quote(base_url), tries=int(timeout), minimum=minimum, log=log
    )
    if target and port:
        yield OURS_SCRIPT.format(target=target, port=int(port), tries=int(timeout), log=log)


@operation()
def app_quit(app: str = "Ollama"):
    """Quit a running macOS app (Ollama.app would start a second server with its own env).

    + app: the app's process name

    Example:

    .. code:: python

        app_quit(app="Ollama")
    """
    if fact(ProcessRunning, process=app):
        yield f"osascript -e 'quit app \"{app}\"' || pkill -x {shlex.quote(app)}"
    else:
        host.noop(f"{app} is not running")
