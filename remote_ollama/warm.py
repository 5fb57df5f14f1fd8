#!/usr/bin/env python3
"""Warm-up: pull the models that are missing, then load each one into memory.

Standard library only, Python 3.9+, because the deploys copy it to the server (and a
boot-time launchd job runs it there): `python3 warm.py --server URL MODEL...`. It uses the
bounded HTTP client of contract.py, which is shipped beside it. Also used as
`remote-ollama warm`, and by the server deploy to pull models (`--no-load`).

Per model: POST /api/show (present?), else POST /api/pull, reading every NDJSON line
(an error after the stream started arrives as {"error": ...} on HTTP 200), then
POST /api/generate {"model", "keep_alive"} with no prompt, which only loads the model.
A failure is reported and the next model still runs; the exit code is 1 if any failed.

Every request has a deadline, start to finish: --timeout for show and load, --pull-timeout
for a pull, which also fails once no byte has come for STALL seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time

try:
    from remote_ollama import contract
except ImportError:  # shipped: contract.py lies beside this file
    import contract

DEFAULT_SERVER = "http://127.0.0.1:11434"
DEFAULT_KEEP_ALIVE = "-1"  # forever: a warmed model should stay loaded
DEFAULT_TIMEOUT = 600.0  # show and load; loading a large model can take minutes
DEFAULT_PULL_TIMEOUT = 6 * 3600.0  # tens of GB on a slow line; pulls resume where they left
STALL = 600.0  # seconds without a byte from a pull before it counts as stalled
LOG_EVERY = 30.0  # seconds between progress lines when the output is not a terminal
TTY_EVERY = 0.5  # seconds between refreshes of the terminal's progress line
RATE_WINDOW = 5.0  # seconds over which a terminal's rate is measured
GO_DURATION = re.compile(r"[+-]?(\d+(\.\d*)?(ns|us|µs|ms|s|m|h))+|0")


class WarmError(Exception):
    pass


def keep_alive_value(text: str):
    """--keep-alive as Ollama reads it: a bare number is seconds (sent as a number, since
    Ollama rejects a string with no unit such as "-1"); otherwise a Go duration like 30m."""
    text = text.strip()
    if re.fullmatch(r"-?\d{1,12}", text):
        return int(text)
    if GO_DURATION.fullmatch(text):
        return text
    raise ValueError(f"keep-alive {text!r} is neither seconds (-1, 300) nor a duration (5m, 1h30m)")


def default_server() -> str:
    """$OLLAMA_API_BASE, else $OLLAMA_HOST (as the server binds it), else loopback."""
    if os.environ.get("OLLAMA_API_BASE"):
        return os.environ["OLLAMA_API_BASE"]
    host = os.environ.get("OLLAMA_HOST", "").strip()
    if not host:
        return DEFAULT_SERVER
    if "://" not in host:
        host = "http://" + (host if re.search(r":\d+\Z", host) else host + ":11434")
    return host.replace("://0.0.0.0", "://127.0.0.1").replace("://:", "://127.0.0.1:")


def short(text, limit: int = 200) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = contract.printable(" ".join(str(text).split()))
    return text if len(text) <= limit else text[:limit] + "..."


def post(base: str, path: str, body: dict, timeout: float, idle=None, deadline=None):
    """An Answer (see contract.http_request) with status 200 or 404; WarmError otherwise."""
    try:
        answer = contract.http_request(
            base + path,
            "POST",
            json.dumps(body).encode(),
            {"Content-Type": "application/json"},
            timeout=timeout,
            idle=idle,
            deadline=deadline,
        )
        if answer.status in (200, 404):
            return answer
        with answer:
            text = answer.body(64 * 1024).decode("utf-8", "replace")
    except contract.HttpProblem as err:
        raise WarmError(f"no usable answer from {base}{path}: {err}") from None
    try:
        error = json.loads(text).get("error")
    except (ValueError, AttributeError):
        error = None
    raise WarmError(f"HTTP {answer.status} from {path}: {short(error or text)}")


def is_present(base: str, model: str, timeout: float, deadline=None) -> bool:
    """200 with the model's details: present; 404: absent."""
    try:
        with post(base, "/api/show", {"model": model}, timeout, None, deadline) as answer:
            text = answer.body()
    except contract.HttpProblem as err:
        raise WarmError(f"presence check: {err}") from None
    try:
        details = json.loads(text)
    except ValueError:
        details = None
    if answer.status == 200 and not isinstance(details, dict):
        raise WarmError(f"/api/show answered with something not a JSON object: {short(text)}")
    return answer.status == 200


def size(n: float) -> str:
    """Bytes in decimal units, as Ollama's CLI shows them."""
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return ""  # not reached


class Progress:
    """A pull's bytes, summed over its layers, said at a sane rate: a line refreshed in
    place on a terminal (at most every TTY_EVERY s), else a line every LOG_EVERY s. The
    rate is measured over windows of RATE_WINDOW s (LOG_EVERY off a terminal), from the
    first report on: a resumed pull starts part-way, and only new bytes count."""

    def __init__(self, say, tty: bool, every: float | None = None):
        self.say, self.tty = say, tty
        self.every = every if every is not None else (TTY_EVERY if tty else LOG_EVERY)
        self.window = RATE_WINDOW if tty else max(self.every, RATE_WINDOW)
        self.layers: dict[str, tuple[int, int]] = {}
        self.status = None
        self.shown_at = time.monotonic()
        self.mark = None  # (time, bytes) where the rate's window starts
        self.rate = None
        self.open_line = False  # a terminal line waiting for its newline

    def update(self, line: dict) -> None:
        status = line.get("status") if isinstance(line.get("status"), str) else ""
        digest, total, done = line.get("digest"), line.get("total"), line.get("completed", 0)
        if isinstance(digest, str) and count(total) and total > 0:
            self.layers[digest] = (min(done, total) if count(done) else 0, total)
            self.tick()
        elif status != self.status:
            self.finish()
            self.say(f"    {short(status, 100)}")
        self.status = status

    def totals(self) -> tuple[int, int]:
        return sum(d for d, _ in self.layers.values()), sum(t for _, t in self.layers.values())

    def measure(self, now: float, done: int) -> None:
        if self.mark is None:
            self.mark = (now, done)
        start, start_bytes = self.mark
        if now - start >= self.window or (self.rate is None and now > start):
            self.rate = (done - start_bytes) / (now - start)
            if now - start >= self.window:
                self.mark = (now, done)

    def tick(self) -> None:
        now = time.monotonic()
        done, total = self.totals()
        if self.mark is None:
            self.mark = (now, done)
        if now - self.shown_at < self.every and done < total:
            return
        self.measure(now, done)
        rate = "" if self.rate is None else f", {size(self.rate)}/s"
        text = f"    {size(done)} of {size(total)} ({100 * done // total}%){rate}"
        self.shown_at = now
        if self.tty:
            self.say("\r\x1b[K" + text, end="")
            self.open_line = True
        else:
            self.say(text)

    def finish(self) -> None:
        """End a terminal's progress line before other output."""
        if self.open_line:
            self.say("")
            self.open_line = False


def count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def pull(base: str, model: str, timeout: float, progress: Progress, deadline=None) -> None:
    """Pull with streaming on; every line may carry an error, even on HTTP 200."""
    last_status = None
    try:
        request = {"model": model, "stream": True}
        with post(base, "/api/pull", request, timeout, STALL, deadline) as answer:
            if answer.status != 200:
                raise WarmError(f"HTTP {answer.status} from /api/pull")
            for raw in answer.lines():
                if not raw.strip():
                    continue
                try:
                    line = json.loads(raw)
                except ValueError:
                    raise WarmError(f"pull sent a line that is not JSON: {short(raw)}") from None
                if not isinstance(line, dict):
                    raise WarmError(f"pull sent a line that is not a JSON object: {short(raw)}")
                if line.get("error"):
                    raise WarmError(f"pull failed: {short(line['error'])}")
                progress.update(line)
                last_status = line.get("status")
    except contract.HttpProblem as err:
        raise WarmError(f"pull: {err}") from None
    finally:
        progress.finish()
    if last_status != "success":
        raise WarmError(f"pull stream ended without success (last status: {short(last_status)})")


def load(base: str, model: str, keep_alive, timeout: float, deadline=None) -> None:
    body = {"model": model, "keep_alive": keep_alive}
    try:
        with post(base, "/api/generate", body, timeout, None, deadline) as answer:
            text = answer.body(1024 * 1024)
    except contract.HttpProblem as err:
        raise WarmError(f"load: {err}") from None
    try:
        reply = json.loads(text or b"{}")
    except ValueError:
        raise WarmError(f"load answered with something that is not JSON: {short(text)}") from None
    if not isinstance(reply, dict):
        raise WarmError(f"load answered with JSON that is not an object: {short(text)}")
    if answer.status != 200 or reply.get("error"):
        raise WarmError(f"load failed: {short(reply.get('error') or text)}")
    if reply.get("done") is not True:
        raise WarmError(f"load did not finish: {short(text)}")


def warm_models(
    models,
    server=None,
    keep_alive=DEFAULT_KEEP_ALIVE,
    timeout=DEFAULT_TIMEOUT,
    say=print,
    *,
    pull_timeout=DEFAULT_PULL_TIMEOUT,
    load_models=True,
    tty=False,
    every=None,
    deadline=None,
):
    """Pull (if missing) and load each model; return [{"model", "ok", "pulled", "error",
    "seconds"}], one per model. A failure does not stop the others. ``say(text)`` prints
    a line (on a terminal, ``tty=True``, also ``say(text, end="")``). ``deadline``: seconds
    for the whole run; models not done by then fail, saying so."""
    base = (server or default_server()).rstrip("/")
    ka = keep_alive_value(str(keep_alive))
    end = None if deadline is None else time.monotonic() + deadline
    results = []
    for index, model in enumerate(models, start=1):
        started = time.monotonic()
        result = {"model": model, "ok": False, "pulled": False, "error": None}
        prefix = f"[{index}/{len(models)}] {model}:"
        try:
            if end is not None and started >= end:
                raise WarmError(f"not started: the run's deadline ({deadline:g}s) has passed")
            if is_present(base, model, timeout, end):
                say(f"{prefix} present")
            else:
                say(f"{prefix} missing, pulling")
                pull(base, model, pull_timeout, Progress(say, tty, every), end)
                result["pulled"] = True
            if load_models:
                say(f"{prefix} loading (keep_alive {ka})")
                load(base, model, ka, timeout, end)
            result["ok"] = True
        except WarmError as err:
            result["error"] = str(err)
        except Exception as err:  # one bad model must not stop the others
            result["error"] = f"{type(err).__name__}: {short(err)}"
        result["seconds"] = round(time.monotonic() - started, 2)
        if not result["ok"]:
            say(f"{prefix} FAILED: {result['error']}")
        elif load_models:
            say(f"{prefix} warm ({result['seconds']}s)")
        elif result["pulled"]:
            say(f"{prefix} pulled ({result['seconds']}s)")
        results.append(result)
    return results


EXAMPLES = """examples:
  remote-ollama warm qwen2.5-coder:7b                      # pull if missing, load forever
  remote-ollama warm qwen2.5-coder:32b llama3.2 --keep-alive 30m
  remote-ollama warm qwen2.5-coder:7b --server http://ai-server:11434
  python3 warm.py --server http://100.64.0.1:11434 qwen2.5-coder:7b   # standalone file

The server defaults to $OLLAMA_API_BASE, else $OLLAMA_HOST, else 127.0.0.1:11434.
Exit code 1 if any model failed; the others are still warmed."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "models", nargs="+", metavar="MODEL", help="model names, e.g. qwen2.5-coder:7b"
    )
    parser.add_argument("--server", metavar="URL", help="Ollama base URL")
    parser.add_argument(
        "--keep-alive",
        metavar="DUR",
        default=DEFAULT_KEEP_ALIVE,
        help="how long the model stays loaded: seconds (-1 = forever, the "
        "default) or a duration like 30m",
    )
    parser.add_argument(
        "--timeout",
        type=contract.seconds,
        default=DEFAULT_TIMEOUT,
        help=f"seconds a presence check or a load may take, start to finish "
        f"(default {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--pull-timeout",
        type=contract.seconds,
        default=DEFAULT_PULL_TIMEOUT,
        help=f"seconds one model's pull may take (default {DEFAULT_PULL_TIMEOUT:g}); it also "
        f"fails after {STALL:g}s without a byte. A pull resumes where it stopped.",
    )
    parser.add_argument(
        "--deadline",
        type=contract.seconds,
        help="seconds the whole run may take (default: none beyond each request's own); "
        "models not done by then fail",
    )
    parser.add_argument(
        "--no-load", action="store_true", help="only pull the missing models; load none"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")


def run_cli(args: argparse.Namespace) -> int:
    try:
        keep_alive_value(args.keep_alive)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    server = (args.server or default_server()).strip().rstrip("/")
    try:
        contract.split_url(server)
    except contract.HttpProblem as err:
        print(f"error: {err}; give the server as http://host:port", file=sys.stderr)
        return 2
    out = sys.stderr if args.json else sys.stdout

    def say(text, end="\n"):
        print(text, file=out, end=end, flush=True)

    say(f"warm: {server}")
    results = warm_models(
        args.models,
        server,
        args.keep_alive,
        args.timeout,
        say,
        pull_timeout=args.pull_timeout,
        load_models=not args.no_load,
        tty=out.isatty(),
        deadline=args.deadline,
    )
    failed = [r["model"] for r in results if not r["ok"]]
    if args.json:
        print(json.dumps(results, indent=2))
    done = "ready" if args.no_load else "warmed"
    say(
        f"{len(results) - len(failed)} {done}, {len(failed)} failed"
        + (f": {', '.join(failed)}" if failed else "")
    )
    return 1 if failed else 0


def main(argv=None) -> int:
    return contract.command_line(
        argv,
        "warm.py",
        "Pull missing Ollama models and load them into memory.",
        EXAMPLES,
        add_arguments,
        run_cli,
    )


if __name__ == "__main__":
    contract.exit_as_script(main)
