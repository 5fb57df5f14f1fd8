"""One round trip per host: run many facts' commands in a single shell script.

pyinfra runs one remote command per ``host.get_fact`` call and never caches the
result. A deploy that asks ten questions pays ten SSH round trips, twice when it plans
and then executes. ``prime`` batches every fact a deploy needs into one script whose
output is split back into sections and parsed by each fact's own ``process``;
``fact`` then answers from that cache, so no fact is asked twice in a run: executing reuses what planning read, which is
what pyinfra's own plan-then-execute model shows the user anyway.

Example:

    prime(host, {"os": (MacOSVersion, {}), "pmset": (PmsetSettings, {})})
    version = fact(host, MacOSVersion)          # no second round trip

Paths in the user's home can be asked before the home directory is known, in the same
probe: give them as ``~/x`` (``HOME``). Their sections run in ``"$HOME"`` with the path
``./x``, so the fact's own command is unchanged and the shell resolves it. The same probe
reads ``UserIdentity`` (whose home is that shell's ``$HOME``), and each answer is cached
for the absolute path too, so an operation asking ``fact(ManagedFile, path="/Users/me/x")``
later gets it without a round trip.

Each section is framed by marker lines the script prints itself: ``BEGIN name nonce``,
the command's output, a newline, then ``END name exit-code nonce``. The newline before the
end marker is always printed, so output without a final newline (``tailscale status
--json`` prints its JSON with ``printf("%s")``) never glues the marker onto its last line;
the parser drops exactly that one newline again. The nonce is random per probe and read
from the first marker, which the script prints before any command runs, so a file whose
content holds a marker line (a user's shell profile) cannot end or forge a section.

Sections run one after the other, except those of ``SLOW`` facts (they wait on launchd,
powerd, tailscaled, the network or a scan of every process): each of those runs alongside
the rest, in a stage of one pipeline, so a probe takes about as long as its slowest
section instead of the sum (``probe_script`` says how every section stays whole).

On the wire the whole output goes through ``base64`` on one line. pyinfra 3.10 reads
a command's output line by line (split on ``\\n`` only: paramiko's reader is not in
universal-newline mode, so a carriage return stays in its line) and decodes each line as
strict UTF-8 (``connectors/util.py`` ``read_buffer``, paramiko's ``u()``): a single byte
that is not UTF-8 (a Latin-1 profile) raised there and lost the whole probe. Base64
carries every byte exactly, as one line (``tr`` drops the line breaks GNU base64 puts
every 76 characters; macOS's base64 puts none), which also keeps the controller's
per-line work small (~900 lines per client host otherwise). It replaced ``od`` hex:
4/3 of the bytes instead of 2x, and ``od`` formatted each byte (~35 ms per 200 KB on
GNU od, 1 ms for base64). ``base64`` is on macOS (``/usr/bin/base64``) and in GNU
coreutils; the file facts already ship contents with it. The controller decodes it back,
UTF-8 with ``surrogateescape``, so bytes that are not UTF-8 reach the facts unchanged.
"""

from __future__ import annotations

import base64
import re
import secrets
import shlex
import weakref
from typing import Any

from pyinfra import host as current_host
from pyinfra.api import FactBase
from pyinfra.context import ContextObject

from remote_ollama.facts.files import ManagedFile, ManagedFiles, PathExists, PathsExist
from remote_ollama.facts.system import UserIdentity

BEGIN = "@@remote-ollama-probe-begin"
END = "@@remote-ollama-probe-end"
MISSING = "@@remote-ollama-probe-missing-command@@"
HOME = "~/"  # a fact argument starting with this is a path in the user's home
ENCODE = "base64 | LC_ALL=C tr -d '\\n'"  # every byte, as base64 on one line

# Facts asked for many paths are read in one section each, by a fact built for the batch,
# with these arguments besides the paths: the files as they are, since the wire is base64.
BATCHED = {ManagedFile: (ManagedFiles, {"raw": True}), PathExists: (PathsExist, {})}

# The cache: per pyinfra State (one run), per Host, one dict of fact values. Both levels
# are keyed on the objects themselves, weakly; never on ``id()`` nor on pyinfra's context
# proxies (``from pyinfra import host, state``): a freed State's id is given to a later
# State, and a proxy never dies and hashes as whatever it points to at the time, so an
# entry keyed on either outlived its run and could hand its answers to a later one.
# Within a host's dict, ``_key`` names one question: the fact class and its arguments as ``repr``s
# (lists are not hashable; ``repr`` tells ``1`` from ``"1"``). Two spellings of the same
# path are two keys: ``~/x`` and ``/Users/me/x`` (see ``prime``, which stores both). A
# question asked under a key nobody primed is not an error: ``fact`` asks the host, one
# more round trip, so a mismatch shows in the command count: plan tests assert one
# command per converged host (``len(plan.executed) == 1``), and the plan harness fails on
# a probe section that a test's stub does not answer (``UnstubbedSection``).
_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _key(cls: type[FactBase], kwargs: dict[str, Any]) -> tuple:
    return (cls, repr(sorted(kwargs.items())))


def _home_path(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(HOME)


def _in_home(kwargs: dict[str, Any]) -> bool:
    return any(_home_path(v) or (isinstance(v, list) and any(map(_home_path, v)))
               for v in kwargs.values())  # fmt: skip


def _relative_path(value: Any) -> Any:
    """``~/x`` -> ``./x``: the same path for a command run in the home directory."""
    return "./" + value[len(HOME):] if _home_path(value) else value


def _relative(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: [_relative_path(x) for x in v] if isinstance(v, list) else _relative_path(v)
            for k, v in kwargs.items()}  # fmt: skip


def _absolute(kwargs: dict[str, Any], home: str) -> dict[str, Any]:
    return {k: home.rstrip("/") + "/" + v[len(HOME):]
            if isinstance(v, str) and v.startswith(HOME) else v for k, v in kwargs.items()}  # fmt: skip


def section_script(name: str, cls: type[FactBase], kwargs: dict[str, Any], nonce: str = "",
                   at_home: bool = False) -> str:
    """The shell for one section: markers around the fact's command and its exit code.

    The end marker follows a newline of its own, whether or not the output ended in one.
    A section with ``~/`` paths runs in ``"$HOME"`` (and fails if there is none): it
    changes there itself, or, with ``at_home``, runs in the caller's subshell that did
    (``probe_script``). The command runs in a ``{ ...; }`` group of the shell it is given,
    or in a subshell of its own if it may change that shell (``changes_shell``)."""
    if not re.fullmatch(r"[\w.-]+", name):
        raise ValueError(f"probe section name {name!r}: use letters, digits, '_', '.', '-'")
    tail = f" {nonce}" if nonce else ""
    return (
        f"echo '{BEGIN} {name}'{tail}; {_section_run(cls, kwargs, at_home)} 2>/dev/null; "
        f"printf '\\n{END} {name} %s{tail}\\n' \"$?\""
    )


# Every host of a run asks the same questions (``~/`` paths are the same for all), so each
# section's shell is built once: the fact's command is a function of its arguments.
_runs: dict[tuple, str] = {}


def _section_run(cls: type[FactBase], kwargs: dict[str, Any], at_home: bool) -> str:
    """The fact's command as a section runs it (``section_script``), built once per run."""
    key = (*_key(cls, kwargs), at_home)
    if key not in _runs:
        if len(_runs) > 4096:  # a long-lived process asking ever new questions
            _runs.clear()
        _runs[key] = _build_run(cls, kwargs, at_home)
    return _runs[key]


def _build_run(cls: type[FactBase], kwargs: dict[str, Any], at_home: bool) -> str:
    in_home = _in_home(kwargs)
    kwargs = _relative(kwargs)
    command = cls().command(**kwargs)
    command = getattr(command, "get_raw_value", lambda: command)()
    requires = cls().requires_command(**kwargs) if hasattr(cls, "requires_command") else None
    if requires:
        command = (
            f"if command -v {shlex.quote(str(requires))} >/dev/null 2>&1; "
            f"then ( {command} ); else echo '{MISSING}'; fi"
        )
    if in_home and not at_home:
        command = f'cd "$HOME" || exit 1; {command}'
    return f"( {command} )" if changes_shell(command) else f"{{ {command}; }}"


# What a command may do to the shell that runs it, and so to every section after it: leave
# it (``exit``, ``exec``), move it (``cd``), change its options (``set -f``), traps, mask or
# limits, define a function (a later ``curl`` would call it), or set a variable that the
# shell or the programs it starts read (``IFS``, ``PATH``, ``LANG``: any upper-case
# name). Such a section gets a subshell of its own; any other runs in a ``{ ...; }`` group
# of the probe's shell: one process fewer (~0.5 ms each, on a host that pays for every
# section). A section's lower-case variables and its arguments (``set --``) are its own
# scratch: every section sets them before it reads them.
SHELL_CHANGES = re.compile(
    r"(?<![\w./$-])(?:cd|exit|exec|trap|umask|ulimit|readonly|export|unset|eval|shift"
    r"|alias|source|getopts)(?![\w./-])"
    r"|(?<![\w./$-])set\s+[-+](?!-(?:\s|;|$))"
    r"|(?:^|[;&|({!]|\b(?:then|do|else|if|while|until))\s*\.\s"  # `. file` as a command
    r"|(?<![\w$])[\w.-]+\s*\(\s*\)"  # a function, which could stand in for a command
)
UPPER_ASSIGNMENT = re.compile(r"(?<![\w$])[A-Z_][A-Z0-9_]*=")
# POSIX 2.14: an assignment before one of these persists after it (bash --posix too).
SPECIAL_BUILTINS = {":", ".", "break", "continue", "eval", "exec", "exit", "export",
                    "readonly", "return", "set", "shift", "times", "trap", "unset"}


def changes_shell(command: str) -> bool:
    """Whether ``command`` may change the shell it runs in for what comes after it (see
    ``SHELL_CHANGES``): it errs towards yes, which costs a process, never a wrong answer.

    An upper-case assignment counts unless it is the prefix of a regular command
    (``PATH="$PATH:x" command -v uv``, ``IFS= read -r line``), whose assignment lasts for
    that command only (POSIX 2.9.1)."""
    if SHELL_CHANGES.search(command):
        return True
    return any(not _prefix_of_a_regular_command(command, m.end())
               for m in UPPER_ASSIGNMENT.finditer(command))  # fmt: skip


def _prefix_of_a_regular_command(command: str, at: int) -> bool:
    """Whether the assignment value starting at ``at`` is followed by a regular command's
    name. The value is scanned as the shell would (quotes, ``$(...)``); anything this
    scan does not follow reads as "no"."""
    depth, quote, i = 0, "", at
    while i < len(command):
        c = command[i]
        if quote:
            if c == "\\" and quote == '"':
                i += 1
            elif c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c == "\\":
            i += 1
        elif command.startswith("$(", i):
            depth, i = depth + 1, i + 1
        elif c == ")" and depth:
            depth -= 1
        elif depth == 0 and (c.isspace() or c in ";&|()<>`"):
            break
        elif c == "`":
            return False
        i += 1
    if quote or depth or i >= len(command) or not command[i].isspace():
        return False
    word = (command[i:].split(maxsplit=1) or [""])[0]
    return (re.fullmatch(r"[\w./-]+", word) is not None and word not in SPECIAL_BUILTINS
            and "=" not in word)


def new_nonce() -> str:
    """A fresh random nonce for one probe's markers (plan tests fix it, to compare scripts)."""
    return secrets.token_hex(8)


def probe_script(
    requests: dict[str, tuple[type[FactBase], dict[str, Any]]], nonce: str | None = None
) -> str:
    """All sections in one script, its output sent as base64 on one line (module doc).

    The sections in the home directory run last, together in one subshell that changes
    there once (a home that cannot be entered: none of them answers, each reads as failed,
    as when each tried on its own). A section has a subshell of its own only if its
    command may change the shell (``changes_shell``).

    A ``SLOW`` fact's section (``ProbeFact.SLOW``: it waits on the network, a daemon or a
    process scan) runs alongside the rest, each in a stage of one pipeline:

        { SLOW_1; } </dev/null | { { SLOW_2; } </dev/null; cat; }
            | { { REST; } </dev/null; cat; } | ENCODE

    All stages start at once. Each prints its own sections, then copies (``cat``) what
    the stages before it printed, so every section's lines stay together and REST's come
    first: its first begin marker, printed before any command runs, is still the first
    line of the output (``split_text`` reads the nonce from it). A stage that prints more
    than a pipe holds waits for the next stage's ``cat``, later but never stuck. Every
    section reads ``/dev/null``, never another's output."""
    nonce = nonce or new_nonce()
    slow, anywhere, at_home = [], [], []
    for name, (cls, kwargs) in requests.items():
        if getattr(cls, "SLOW", False):
            slow.append(section_script(name, cls, kwargs, nonce))
            continue
        into = at_home if _in_home(kwargs) else anywhere
        into.append(section_script(name, cls, kwargs, nonce, at_home=True))
    if at_home:
        anywhere.append(f'( cd "$HOME" || exit 1; {"; ".join(at_home)} )')
    groups = [*slow, "; ".join(anywhere)] if anywhere else slow
    if len(groups) == 1:
        return f"{{ {groups[0]}; }} | {ENCODE}"
    first, *after = groups
    stages = [f"{{ {first}; }} </dev/null", *(f"{{ {{ {g}; }} </dev/null; cat; }}" for g in after)]
    return f"{' | '.join(stages)} | {ENCODE}"


def unfold(lines) -> list[str]:
    """The probe script's output lines, from what came over the wire (``ENCODE``).

    The wire is the last line: anything before it (a shell profile that prints even in a
    non-interactive shell) is not the probe's. Bytes that are not UTF-8 are kept as
    surrogates (``surrogateescape``); a wire that is not base64 gives no lines."""
    text = unfold_text(lines)
    return text.split("\n") if text else []


def unfold_text(lines) -> str:
    """``unfold``, as one text: the output's bytes, decoded (what ``split_text`` reads)."""
    wire = next((line.strip() for line in reversed(list(lines)) if line.strip()), "")
    try:  # a cut-off wire: the whole 4-character groups that arrived
        data = base64.b64decode(wire[: len(wire) // 4 * 4], validate=True)
    except ValueError:  # binascii.Error is a ValueError
        return ""
    return data.decode("utf-8", "surrogateescape")


def fold(lines: list[str]) -> list[str]:
    """What a host sends for the script's output ``lines``: the inverse of ``unfold``
    (tests use it to answer a probe as a host would)."""
    data = "".join(f"{line}\n" for line in lines).encode("utf-8", "surrogateescape")
    return [base64.b64encode(data).decode("ascii")]


def host_output(sections: dict[str, tuple[int, list[str]]], nonce: str = "0") -> list[str]:
    """What a host sends when each section answered ``(exit code, lines)``: the inverse
    of ``Probe.process``, for tests that stand in for a host."""
    lines: list[str] = []
    for name, (code, body) in sections.items():
        lines += [f"{BEGIN} {name} {nonce}", *body, "", f"{END} {name} {code} {nonce}"]
    return fold(lines)


class Probe(FactBase):
    """Raw sections of a batched probe: ``{name: (exit_code, lines)}``.

    + script: the combined shell script built by ``probe_script``.
    """

    def command(self, script: str) -> str:
        return script

    def process(self, output) -> dict[str, tuple[int, list[str]]]:
        return split_text(unfold_text(output))


def split_sections(lines) -> dict[str, tuple[int, list[str]]]:
    """``{name: (exit code, lines)}`` from the script's output lines (``split_text``)."""
    return split_text("\n".join(lines))


def split_text(text: str) -> dict[str, tuple[int, list[str]]]:
    """``{name: (exit code, lines)}`` from the script's output, as one text.

    The first begin marker's nonce is the probe's: only an end marker with the section's
    name and that nonce ends a section; any other line in between is the section's. The
    newline printed before the end marker is dropped, so the lines are what pyinfra gives
    a lone fact: no trailing empty line for a final newline, none for empty output. Markers
    are whole lines, found with ``str.find`` (a file's hundreds of lines are not looked at
    one by one); a section that never ends is dropped, with any that follow it."""
    sections: dict[str, tuple[int, list[str]]] = {}
    nonce: str | None = None
    at = 0
    while (start := _line_starting(text, BEGIN + " ", at)) >= 0:
        eol = _end_of_line(text, start)
        words = text[start + len(BEGIN) + 1 : eol].split()
        at = eol + 1
        if not words:
            continue
        if nonce is None:
            nonce = " ".join(words[1:])
        if " ".join(words[1:]) != nonce:
            continue
        found = _section_end(text, words[0], nonce, eol)
        if found is None:
            break
        line_start, code, at = found
        body = text[eol + 1 : line_start - 1].split("\n") if line_start > eol + 1 else []
        if body and body[-1] == "":
            body.pop()
        sections[words[0]] = (code, body)
    return sections


def _line_starting(text: str, prefix: str, at: int) -> int:
    """Where the first line at or after ``at`` that starts with ``prefix`` starts, or -1."""
    found = text.find(prefix, at)
    while found > 0 and text[found - 1] != "\n":
        found = text.find(prefix, found + 1)
    return found


def _end_of_line(text: str, start: int) -> int:
    end = text.find("\n", start)
    return len(text) if end < 0 else end


def _section_end(text: str, name: str, nonce: str, after: int) -> tuple[int, int, int] | None:
    """(where its line starts, exit code, where the next line starts) of the end marker of
    section ``name``, the first after position ``after`` (a newline); None if none is."""
    needle = f"\n{END} {name} "
    found = text.find(needle, after)
    while found >= 0:
        eol = _end_of_line(text, found + 1)
        code = _end_code(text[found + 1 : eol], name, nonce)
        if code is not None:
            return found + 1, code, eol + 1
        found = text.find(needle, found + 1)
    return None


def _end_code(line: str, name: str, nonce: str | None) -> int | None:
    """The exit code if ``line`` is the end marker of section ``name``, else None."""
    words = line[len(END) + 1 :].split() if line.startswith(END + " ") else []
    if len(words) < 2 or words[0] != name or " ".join(words[2:]) != (nonce or ""):
        return None
    code = words[1].lstrip("-")
    return int(words[1]) if code.isascii() and code.isdigit() else 1


def parse_section(cls: type[FactBase], code: int, lines: list[str]) -> Any:
    """Turn one section into the fact's value, as pyinfra would for a lone fact.

    The rule of ``remote_ollama.facts.base`` (``ProbeFact``): a missing command or no
    output gives ``default()``, as in pyinfra's ``_get_fact``. A fact's command always
    exits 0, so a non-zero ``code`` means the section itself did not run (``cd "$HOME"``
    failed, the output was cut off): ``default()`` too."""
    instance = cls()
    if code != 0 or not lines or lines == [MISSING]:
        return instance.default()
    return instance.process(lines)


def unwrapped(obj: Any) -> Any:
    """The object behind a pyinfra context proxy (``pyinfra.host``, ``pyinfra.state``)."""
    return obj._get_module() if isinstance(obj, ContextObject) else obj


def _stage_cache(host) -> dict:
    """Facts of this run. Execution reuses what planning read: one probe per host per run.

    A run is one pyinfra ``State``: the host's own (``host.state``), so a Host planned
    again under a new State starts empty. The State and the Host are weak keys: the cache
    keeps neither alive, and a finished run's answers go with its State."""
    host = unwrapped(host)
    per_state = _cache.setdefault(host.state, weakref.WeakKeyDictionary())
    return per_state.setdefault(host, {})


def forget(host) -> None:
    """Drop this run's answers for ``host``: its next question asks the host again."""
    host = unwrapped(host)
    _cache.get(host.state, {}).pop(host, None)


def prime(host, requests: dict[str, tuple[type[FactBase], dict[str, Any]]]) -> dict[str, Any]:
    """Gather every requested fact in one remote command; return {name: value}.

    Arguments starting with ``~/`` are paths in the home directory (see the module doc)."""
    cache = _stage_cache(host)
    # A ``~/x`` question is asked relative to ``$HOME`` (``section_script``) and its answer
    # stored twice: under ``~/x`` and, once UserIdentity gives the home, under the
    # absolute path, which is how operations ask later (``fact(ManagedFile,
    # path="/Users/me/x")``). Without the second key that later question would cost a
    # second round trip.
    wanted = {n: r for n, r in requests.items() if _key(*r) not in cache}
    identity = _key(UserIdentity, {})
    if any(_in_home(kw) for _, kw in wanted.values()) and identity not in cache:
        wanted.setdefault("identity", (UserIdentity, {}))  # the home the ~/ paths are in
    if wanted:
        _ask(host, cache, wanted)
        home = (cache.get(identity) or {}).get("home", "")
        for cls, kwargs in wanted.values():
            if _in_home(kwargs) and home.startswith("/"):
                cache.setdefault(_key(cls, _absolute(kwargs, home)), cache[_key(cls, kwargs)])
    return {name: cache[_key(cls, kw)] for name, (cls, kw) in requests.items()}


def batched(wanted: dict) -> tuple[dict, dict]:
    """``wanted`` with each ``BATCHED`` fact's requests folded into one section.

    Returns (sections, members): ``members`` maps a batch section's name to the requests
    it answers, ``[(name, path), ...]``."""
    sections, members = {}, {}
    for name, (cls, kwargs) in wanted.items():
        if cls in BATCHED and set(kwargs) == {"path"}:
            members.setdefault(f"batch.{cls.__name__}", []).append((name, kwargs["path"]))
        else:
            sections[name] = (cls, kwargs)
    for section, items in members.items():
        batch_cls, arguments = BATCHED[wanted[items[0][0]][0]]
        sections[section] = (batch_cls, {"paths": [path for _, path in items], **arguments})
    return sections, members


def _ask(host, cache: dict, wanted: dict, batch: bool = True) -> None:
    """One remote command for every fact in ``wanted``; each answer goes into ``cache``.

    A batch whose answer does not add up is asked again, fact by fact, in one more probe."""
    sections, members = batched(wanted) if batch else (wanted, {})
    raw = host.get_fact(Probe, script=probe_script(sections))
    again = {}
    for name, (cls, kwargs) in sections.items():
        code, lines = raw.get(name, (1, []))
        value = parse_section(cls, code, lines)
        if name not in members:
            cache[_key(cls, kwargs)] = value
            continue
        for member, path in members[name]:
            member_cls, member_kwargs = wanted[member]
            if value is None:
                again[member] = wanted[member]
            else:
                cache[_key(member_cls, member_kwargs)] = value.get(_relative_path(path))
    if again:
        _ask(host, cache, again, batch=False)


def remember(host, cls: type[FactBase], kwargs: dict[str, Any], value: Any) -> None:
    """Cache a fact's value read another way (e.g. a section that found its URL itself)."""
    _stage_cache(host).setdefault(_key(cls, kwargs), value)


def fact(cls: type[FactBase], host=None, **kwargs) -> Any:
    """A fact from this stage's cache, gathered (and cached) if nobody asked yet."""
    host = host or current_host._get_module()
    cache = _stage_cache(host)
    key = _key(cls, kwargs)
    if key not in cache:
        cache[key] = host.get_fact(cls, **kwargs)
    return cache[key]
