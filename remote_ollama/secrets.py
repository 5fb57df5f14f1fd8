"""The Tailscale auth key: read on the controller, checked for shape, never shown.

The key comes from an environment variable (``tailscale_auth_key_env``) or a file
(``tailscale_auth_key_file``) on the controller, never from group_data. ``AuthKey`` keeps it
out of every ``repr``/``str``/format, so a log line, an exception or pyinfra's operation
arguments cannot print it; only ``reveal()`` gives the text, to the upload that writes it
into a 0600 file on the host (see ``operations/bootstrap.py``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from remote_ollama.preflight import DeployError

# Auth keys look like tskey-auth-<id>-<secret> (Tailscale KB 1085, "auth keys"); OAuth
# client secrets (tskey-client-) are a different thing and are refused here.
PREFIX = "tskey-auth-"
SHAPE = re.compile(r"^tskey-auth-[A-Za-z0-9]+-[A-Za-z0-9]+$")


class AuthKey:
    """A secret string that never prints itself."""

    __slots__ = ("_value", "source")

    def __init__(self, value: str, source: str):
        self._value = value
        self.source = source  # where it came from, e.g. "$REMOTE_OLLAMA_TS_AUTHKEY"

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"<Tailscale auth key from {self.source}: hidden>"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __reduce__(self):  # no pickling the value into a cache or a --json dump
        raise TypeError("an auth key cannot be pickled")


def shape_problem(value: str) -> str | None:
    """Why ``value`` is not an auth key, in words that never quote it; None if it is one."""
    if not value:
        return "it is empty"
    if any(c.isspace() for c in value):
        return "it contains whitespace (a stray newline or space?)"
    if not value.startswith(PREFIX):
        kind = "an OAuth client secret" if value.startswith("tskey-client-") else "not an auth key"
        return f"it does not start with {PREFIX!r} ({kind}; {len(value)} characters)"
    if not SHAPE.match(value):
        return f"it starts with {PREFIX!r} but is not tskey-auth-<id>-<secret> ({len(value)} characters)"
    return None


def read_auth_key(host_name: str, env_name: str, file: str | None,
                  environ: dict | None = None) -> AuthKey:
    """The auth key from ``$env_name``, else from ``file``; a DeployError naming the
    source (never the value) when it is missing or malformed."""
    environ = os.environ if environ is None else environ
    value, source = environ.get(env_name), f"${env_name}"
    if value is None and file:
        path = Path(os.path.expanduser(file))
        source = str(path)
        try:
            value = path.read_text().strip()
        except OSError as exc:
            raise DeployError(
                f"{host_name}: cannot read the Tailscale auth key file {path} "
                f"({exc.strerror}). Nothing was changed."
            ) from None
    if value is None:
        where = f"the environment variable {env_name}" + (f" or the file {file}" if file else "")
        raise DeployError(
            f"{host_name}: needs to join the tailnet, but {where} holds no Tailscale auth key. "
            f"Create a tagged auth key (after `remote-ollama acl`), then export {env_name}=... "
            "or set tailscale_auth_key_file; never put the key in group_data. "
            "Nothing was changed."
        )
    value = value.strip()
    problem = shape_problem(value)
    if problem:
        raise DeployError(
            f"{host_name}: the Tailscale auth key in {source} is malformed: {problem}. "
            "Copy an auth key (tskey-auth-...) from the admin console's Keys page. "
            "Nothing was changed."
        )
    return AuthKey(value, source)
