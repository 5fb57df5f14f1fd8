#!/usr/bin/env python3
"""Warm-up: pull the models that are missing, then load each one into memory.

One file, standard library only, Python 3.9+, because the deploys copy it to the server
(and a boot-time launchd job runs it there): `python3 warm.py --server URL MODEL...`.
Also used as `remote-ollama warm`.

Per model: POST /api/show (present?), else POST /api/pull, reading every NDJSON line
(an error after the stream started arrives as {"error": ...} on HTTP 200), then
POST /api/generate {"model", "keep_alive"} with no prompt, which only loads the model.
A failure is reported and the next model still runs; the exit code is 1 if any failed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request

DEFAULT_SERVER = "http://127.0.0.1:11434"
DEFAULT_KEEP_ALIVE = "-1"  # forever: a warmed model should stay loaded
GO_DURATION = re.compile(r"[+-]?(\d+(\.\d*)?(ns|us|µs|ms|s|m|h))+|0")


class WarmError(Exception):
    pass


def keep_alive_value(text: str):
    """--keep-alive as Ollama reads it: a bare number is seconds (sent as a number, since
    Ollama rejects a string with no unit such as "-1"); otherwise a Go duration like 30m."""
    text = text.strip()
    if re.fullmatch(r"-?\d+", text):
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
        host = "http://" + (host if re.search(r":\d+$", host) else host + ":11434")
    return host.replace("://0.0.0.0", "://127.0.0.1").replace("://:", "://127.0.0.1:")


def post(base: str, path: str, body: dict, timeout: float):
    request = urllib.request.Request(
        base.rstrip("/") + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        return urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        text = err.read().decode("utf-8", "replace")
        with contextlib.suppress(ValueError, AttributeError):
            text = json.loads(text).get("error", text)
        raise WarmError(f"HTTP {err.code} from {path}: {text}") from None
    except (urllib.error.URLError, OSError) as err:  # OSError covers timeouts
        raise WarmError(f"no answer from {base}{path}: {getattr(err, 'reason', err)}") from None


def is_present(base: str, model: str, timeout: float) -> bool:
    try:
        post(base, "/api/show", {"model": model}, timeout).read()
    except WarmError as err:
        if str(err).startswith("HTTP 404"):
            return False
        raise
    return True


def pull(base: str, model: str, timeout: float, say) -> None:
    """Pull with streaming on; every line may carry an error, even on HTTP 200."""
    last_status = None
    with post(base, "/api/pull", {"model": model, "stream": True}, timeout) as response:
        for raw in response:
            if not raw.strip():
                continue
            try:
                line = json.loads(raw)
            except ValueError:
                raise WarmError(f"pull sent a line that is not JSON: {raw[:200]!r}") from None
            if line.get("error"):
                raise WarmError(f"pull failed: {line['error']}")
            status = line.get("status", "")
            if status != last_status:
                say(f"    {status}")
                last_status = status
    if last_status != "success":
        raise WarmError(f"pull stream ended without success (last status: {last_status})")


def load(base: str, model: str, keep_alive, timeout: float) -> None:
    with post(base, "/api/generate", {"model": model, "keep_alive": keep_alive}, timeout) as resp:
        reply = json.loads(resp.read() or b"{}")
    if reply.get("error"):
        raise WarmError(f"load failed: {reply['error']}")
    if not reply.get("done"):
        raise WarmError(f"load did not finish: {json.dumps(reply)[:200]}")


def warm_models(models, server=None, keep_alive=DEFAULT_KEEP_ALIVE, timeout=3600.0, say=print):
    """Pull (if missing) and load each model; return [{"model", "ok", "pulled", "error",
    "seconds"}], one per model. A failure does not stop the others."""
    base = (server or default_server()).rstrip("/")
    ka = keep_alive_value(str(keep_alive))
    results = []
    for index, model in enumerate(models, start=1):
        started = time.monotonic()
        result = {"model": model, "ok": False, "pulled": False, "error": None}
        prefix = f"[{index}/{len(models)}] {model}:"
        try:
            if is_present(base, model, timeout):
                say(f"{prefix} present")
            else:
                say(f"{prefix} missing, pulling")
                pull(base, model, timeout, say)
                result["pulled"] = True
            say(f"{prefix} loading (keep_alive {ka})")
            load(base, model, ka, timeout)
            result["ok"] = True
        except WarmError as err:
            result["error"] = str(err)
        result["seconds"] = round(time.monotonic() - started, 2)
        if result["ok"]:
            say(f"{prefix} warm ({result['seconds']}s)")
        else:
            say(f"{prefix} FAILED: {result['error']}")
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
        type=float,
        default=3600.0,
        help="seconds per request (default 3600: pulls of large models are slow)",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")


def run_cli(args: argparse.Namespace) -> int:
    try:
        keep_alive_value(args.keep_alive)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    server = (args.server or default_server()).rstrip("/")

    def say(text):
        print(text, file=sys.stderr if args.json else sys.stdout, flush=True)

    say(f"warm: {server}")
    results = warm_models(args.models, server, args.keep_alive, args.timeout, say)
    failed = [r["model"] for r in results if not r["ok"]]
    if args.json:
        print(json.dumps(results, indent=2))
    say(
        f"{len(results) - len(failed)} warmed, {len(failed)} failed"
        + (f": {', '.join(failed)}" if failed else "")
    )
    return 1 if failed else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="warm.py",
        description="Pull missing Ollama models and load them into memory.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    return run_cli(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
