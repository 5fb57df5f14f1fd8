"""Installing Ollama and waiting for its API."""

from __future__ import annotations

import shlex

from pyinfra import host
from pyinfra.api import operation

from remote_ollama.facts.files import PathExists
from remote_ollama.facts.system import ProcessRunning
from remote_ollama.probe import fact


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
    tmp = shlex.quote(f"{directory}.partial")
    yield (
        f"rm -rf {tmp} && mkdir -p {tmp} && curl -fsSL {shlex.quote(url)} | tar -xzf - -C {tmp}"
        f" && [ -x {tmp}/ollama ] && mv {tmp} {shlex.quote(directory)}"
    )


# Poll /api/version until it answers, then require a minimum version (awk compares).
WAIT_SCRIPT = """i=0; v=""
while [ $i -lt {tries} ]; do
  v=$(curl -s --max-time 2 {url}/api/version | sed -n 's/.*"version" *: *"\\([^"]*\\)".*/\\1/p')
  [ -n "$v" ] && break
  sleep 1; i=$((i+1))
done
if [ -z "$v" ]; then echo "Ollama did not answer {url}/api/version within {tries}s; see {log}" >&2; exit 1; fi
if ! echo "$v {minimum}" | awk '{{split($1,a,".");split($2,b,".");for(i=1;i<=3;i++){{if(a[i]+0>b[i]+0)exit 0;if(a[i]+0<b[i]+0)exit 1}}exit 0}}'; then
  echo "Ollama $v is older than {minimum}, which /v1/messages needs" >&2; exit 1
fi
echo "Ollama $v answers at {url}"
"""


@operation()
def api_healthy(base_url: str, timeout: int, minimum: str, log: str, needed: bool = True):
    """Wait, bounded, for ``/api/version`` and require at least ``minimum``.

    + base_url: the server's API
    + timeout: seconds to wait
    + minimum: lowest acceptable version
    + log: log file named in the error
    + needed: False when the probe already saw a healthy server and nothing restarted

    Example:

    .. code:: python

        api_healthy(base_url="http://127.0.0.1:11434", timeout=60, minimum="0.14.0",
                    log="/Users/me/Library/Logs/remote-ollama/ollama.err.log")
    """
    if needed:
        yield WAIT_SCRIPT.format(
            url=shlex.quote(base_url), tries=int(timeout), minimum=minimum, log=log
        )
    else:
        host.noop("Ollama answers and nothing restarted")


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
