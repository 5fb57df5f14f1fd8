"""The Ollama API stand-in speaks the documented formats, persists models, logs requests
and switches its faults at runtime."""

from __future__ import annotations

import importlib.util
import json
import shutil
import socket
import subprocess
import sys

import pytest
from ollama_standin_support import OLLAMA_CLI, STANDINS, free_port, standin_env

spec = importlib.util.spec_from_file_location("ollama_standin", STANDINS / "ollama_standin.py")
standin_module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(standin_module)

MODEL = "qwen2.5-coder:7b"
USER_MSG = [{"role": "user", "content": "hi"}]


def sse(text: str) -> list[tuple[str | None, str]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = block.splitlines()
        name = next((ln[7:] for ln in lines if ln.startswith("event: ")), None)
        data = next(ln[6:] for ln in lines if ln.startswith("data: "))
        events.append((name, data))
    return events


# --- configuration ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ("127.0.0.1", 11434)),
        ("", ("127.0.0.1", 11434)),
        ("1.2.3.4", ("1.2.3.4", 11434)),
        ("1.2.3.4:1234", ("1.2.3.4", 1234)),
        (":1234", ("", 1234)),
        ("[::1]:1234", ("::1", 1234)),
        ("[::1]", ("::1", 11434)),
        ("0.0.0.0", ("0.0.0.0", 11434)),
        ("http://10.0.0.1:8080", ("10.0.0.1", 8080)),
        ("http://10.0.0.1", ("10.0.0.1", 80)),  # the trap: a scheme with no port means 80
        ("https://example", ("example", 443)),
    ],
)
def test_ollama_host_forms(value, expected):
    assert standin_module.parse_ollama_host(value) == expected


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(300, 300), (-1, None), ("5m", 300), ("1h30m", 5400), ("0", 0), ("-1m", None), (0, 0)],
)
def test_keep_alive_durations(value, seconds):
    assert standin_module.parse_go_duration(value) == seconds


def test_keep_alive_string_without_unit_is_rejected_like_go():
    with pytest.raises(ValueError, match="missing unit"):
        standin_module.parse_go_duration("-1")


def serve_that_fails(env: dict) -> subprocess.CompletedProcess:
    """The stand-in's ``ollama serve``, for a case where it must exit at once (else it
    would serve until the timeout)."""
    return subprocess.run([sys.executable, str(OLLAMA_CLI), "serve"], env=env,
                          capture_output=True, text=True, timeout=10)  # fmt: skip


def test_binding_an_address_that_is_not_up_fails_like_ollama(tmp_path):
    # 192.0.2.1 (TEST-NET-1) is assigned to no interface here; nothing is sent anywhere.
    env = standin_env(tmp_path, 0, OLLAMA_HOST="192.0.2.1:11434")
    run = serve_that_fails(env)
    assert run.returncode != 0
    assert "bind: can't assign requested address" in run.stderr
    assert "192.0.2.1:11434" in run.stderr


def test_binding_a_busy_port_fails(standin, tmp_path):
    env = standin_env(tmp_path, standin.port)
    run = serve_that_fails(env)
    assert run.returncode == 1
    assert "bind: address already in use" in run.stderr


def test_port_only_form_listens_on_all_interfaces(make_standin):
    port = free_port()
    standin = make_standin(port=port, OLLAMA_HOST=f":{port}")
    status, env = standin.json("GET", "/standin/env")
    assert status == 200
    assert env["listen"] == f"0.0.0.0:{port}"


def test_ipv6_loopback_form(make_standin):
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    port = free_port()
    standin = make_standin(port=port, connect="::1", OLLAMA_HOST=f"[::1]:{port}")
    assert json.loads(standin.call("GET", "/api/version")[1])  # started and answered
    assert standin.json("GET", "/standin/env")[1]["listen"] == f"[::1]:{port}"


def test_version_from_env_and_default(make_standin):
    assert make_standin().json("GET", "/api/version")[1] == {"version": "0.14.2"}
    assert make_standin(OLLAMA_STANDIN_VERSION="0.15.1").json("GET", "/api/version")[1] == {
        "version": "0.15.1"
    }


def test_env_is_recorded_for_tests(make_standin):
    standin = make_standin(OLLAMA_CONTEXT_LENGTH="65536", OLLAMA_KEEP_ALIVE="-1")
    env = standin.json("GET", "/standin/env")[1]
    assert env["env"]["OLLAMA_CONTEXT_LENGTH"] == "65536"
    assert env["env"]["OLLAMA_KEEP_ALIVE"] == "-1"
    start = json.loads(standin.log_path.read_text().splitlines()[0])
    assert start["event"] == "start"
    assert start["env"]["OLLAMA_CONTEXT_LENGTH"] == "65536"


def test_request_log_default_is_next_to_the_models_dir(tmp_path):
    env = standin_env(tmp_path, 0)
    env.pop("STANDIN_REQUEST_LOG")
    code = "import os, ollama_standin as s; print(s.request_log_path()); print(s.faults_path())"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "PYTHONPATH": str(STANDINS)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == [
        str(tmp_path / "standin-requests.jsonl"),
        str(tmp_path / "models" / ".standin-faults.json"),
    ]


# --- models: pull, tags, show, delete, persistence --------------------------------------


def test_pull_streams_status_lines_ending_in_success(standin):
    status, text = standin.call("POST", "/api/pull", {"model": MODEL})
    lines = [json.loads(line) for line in text.splitlines()]
    assert status == 200
    assert lines[0] == {"status": "pulling manifest"}
    assert lines[-1] == {"status": "success"}
    assert any("total" in line and "digest" in line for line in lines)
    assert standin.json("GET", "/api/tags")[1]["models"][0]["name"] == MODEL


def test_pull_without_streaming_and_bare_name_means_latest(standin):
    assert standin.json("POST", "/api/pull", {"model": "llama3.2", "stream": False}) == (
        200,
        {"status": "success"},
    )
    model = standin.json("GET", "/api/tags")[1]["models"][0]
    assert model["name"] == "llama3.2:latest"
    assert {"size", "digest", "modified_at", "details"} <= set(model)


def test_models_are_manifest_files_that_survive_a_restart(make_standin, tmp_path):
    first = make_standin()
    first.pull(MODEL, "user/custom:v1")
    first.stop()
    manifest = tmp_path / "models/manifests/registry.ollama.ai/library/qwen2.5-coder/7b"
    assert manifest.is_file()
    second = make_standin()
    names = [m["name"] for m in second.json("GET", "/api/tags")[1]["models"]]
    assert names == [MODEL, "user/custom:v1"]
    manifest.unlink()  # drift: someone deletes the model on disk
    assert [m["name"] for m in second.json("GET", "/api/tags")[1]["models"]] == ["user/custom:v1"]


def test_failed_pull_is_an_error_line_on_http_200(standin):
    standin.faults(fail_pull={"broken:1b": "max retries exceeded"})
    status, text = standin.call("POST", "/api/pull", {"model": "broken:1b"})
    lines = [json.loads(line) for line in text.splitlines()]
    assert status == 200
    assert lines[0] == {"status": "pulling manifest"}
    assert lines[-1] == {"error": "max retries exceeded"}
    assert {"status": "success"} not in lines
    assert standin.json("GET", "/api/tags")[1]["models"] == []
    assert standin.call("POST", "/api/pull", {"model": "broken:1b", "stream": False})[0] == 500
    standin.faults()  # switched off at runtime, no restart
    standin.pull("broken:1b")


def test_show_finds_pulled_models_and_404s_others(served):
    status, body = served.json("POST", "/api/show", {"model": MODEL})
    assert status == 200
    assert body["details"]["format"] == "gguf"
    assert any(k.endswith(".context_length") for k in body["model_info"])
    assert served.json("POST", "/api/show", {"name": MODEL})[0] == 200  # older clients send name
    assert served.json("POST", "/api/show", {"model": "nope:1b"}) == (
        404,
        {"error": "model 'nope:1b' not found"},
    )


def test_delete(served):
    assert served.call("DELETE", "/api/delete", {"model": MODEL})[0] == 200
    assert served.json("GET", "/api/tags")[1]["models"] == []
    assert served.call("DELETE", "/api/delete", {"model": MODEL})[0] == 404


# --- native chat and generate -----------------------------------------------------------


def test_chat_streams_ndjson_and_logs_num_ctx(served):
    body = {"model": MODEL, "messages": USER_MSG, "options": {"num_ctx": 8933}}
    status, text = served.call("POST", "/api/chat", body)
    lines = [json.loads(line) for line in text.splitlines()]
    assert status == 200
    assert all(not line["done"] for line in lines[:-1])
    assert lines[-1]["done"] is True
    assert lines[-1]["done_reason"] == "stop"
    assert "".join(line["message"]["content"] for line in lines) == standin_module.DEFAULT_REPLY
    assert served.requests("/api/chat")[-1]["body"]["options"]["num_ctx"] == 8933
    assert served.json("GET", "/api/ps")[1]["models"][0]["context_length"] == 8933


def test_chat_without_streaming(served):
    status, body = served.json(
        "POST", "/api/chat", {"model": MODEL, "messages": USER_MSG, "stream": False}
    )
    assert status == 200
    assert body["message"] == {"role": "assistant", "content": standin_module.DEFAULT_REPLY}
    assert body["done"] is True


def test_a_different_num_ctx_reloads_the_model(served):
    for ctx in (8192, 8192, 9000):
        served.call(
            "POST",
            "/api/chat",
            {"model": MODEL, "messages": USER_MSG, "options": {"num_ctx": ctx}, "stream": False},
        )
    assert served.json("GET", "/standin/state")[1]["load_counts"] == {MODEL: 2}


def test_chat_with_a_model_that_is_not_pulled(standin):
    status, body = standin.json("POST", "/api/chat", {"model": "nope:1b", "messages": USER_MSG})
    assert status == 404
    assert "not found" in body["error"]


def test_generate_without_prompt_loads_and_keep_alive_0_unloads(served):
    status, body = served.json("POST", "/api/generate", {"model": MODEL, "keep_alive": -1})
    assert (status, body["done"], body["done_reason"], body["response"]) == (200, True, "load", "")
    loaded = served.json("GET", "/api/ps")[1]["models"]
    assert [m["name"] for m in loaded] == [MODEL]
    assert loaded[0]["expires_at"].startswith("2318")  # forever, as Ollama shows it
    status, body = served.json("POST", "/api/generate", {"model": MODEL, "keep_alive": 0})
    assert body["done_reason"] == "unload"
    assert served.json("GET", "/api/ps")[1]["models"] == []


def test_generate_rejects_keep_alive_string_without_unit(served):
    status, body = served.json("POST", "/api/generate", {"model": MODEL, "keep_alive": "-1"})
    assert status == 400
    assert "missing unit" in body["error"]


def test_generate_with_prompt_streams(served):
    status, text = served.call("POST", "/api/generate", {"model": MODEL, "prompt": "hi"})
    lines = [json.loads(line) for line in text.splitlines()]
    assert status == 200
    assert "".join(line["response"] for line in lines) == standin_module.DEFAULT_REPLY
    assert lines[-1]["done"] is True


def test_keep_alive_default_comes_from_the_environment(make_standin):
    standin = make_standin(OLLAMA_KEEP_ALIVE="-1", OLLAMA_CONTEXT_LENGTH="65536")
    standin.pull(MODEL)
    standin.call("POST", "/api/generate", {"model": MODEL})
    loaded = standin.json("GET", "/api/ps")[1]["models"][0]
    assert loaded["expires_at"].startswith("2318")
    assert loaded["context_length"] == 65536


# --- OpenAI compatibility ----------------------------------------------------------------


def test_openai_models(served):
    status, body = served.json("GET", "/v1/models")
    assert status == 200
    assert body["object"] == "list"
    assert body["data"][0] == {
        **body["data"][0],
        "id": MODEL,
        "object": "model",
        "owned_by": "library",
    }
    assert served.json("GET", f"/v1/models/{MODEL}")[1]["id"] == MODEL
    status, body = served.json("GET", "/v1/models/nope:1b")
    assert status == 404
    assert body["error"]["type"] == "not_found_error"


def test_chat_completions_plain(served):
    status, body = served.json(
        "POST", "/v1/chat/completions", {"model": MODEL, "messages": USER_MSG}
    )
    assert status == 200
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"] == {
        "role": "assistant",
        "content": standin_module.DEFAULT_REPLY,
    }
    assert body["choices"][0]["finish_reason"] == "stop"
    assert set(body["usage"]) == {"prompt_tokens", "completion_tokens", "total_tokens"}


def test_chat_completions_stream_with_usage_and_done(served):
    body = {
        "model": MODEL,
        "messages": USER_MSG,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    status, text = served.call("POST", "/v1/chat/completions", body)
    data = [d for _n, d in sse(text)]
    assert status == 200
    assert data[-1] == "[DONE]"
    chunks = [json.loads(d) for d in data[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["total_tokens"] > 0
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    text = "".join(c["choices"][0]["delta"]["content"] for c in chunks[:-1])
    assert text == standin_module.DEFAULT_REPLY


def test_chat_completions_stream_without_usage_by_default(served):
    _, text = served.call(
        "POST", "/v1/chat/completions", {"model": MODEL, "messages": USER_MSG, "stream": True}
    )
    assert not any("usage" in json.loads(d) for _n, d in sse(text) if d != "[DONE]")


def test_chat_completions_json_mode(served):
    body = {"model": MODEL, "messages": USER_MSG, "response_format": {"type": "json_object"}}
    content = served.json("POST", "/v1/chat/completions", body)[1]["choices"][0]["message"][
        "content"
    ]
    assert isinstance(json.loads(content), dict)


def test_chat_completions_unknown_model(standin):
    status, body = standin.json(
        "POST", "/v1/chat/completions", {"model": "nope", "messages": USER_MSG}
    )
    assert status == 404
    assert set(body["error"]) == {"message", "type", "param", "code"}


# --- Anthropic compatibility ---------------------------------------------------------------


def messages(model=MODEL, **extra):
    return {"model": model, "max_tokens": 32, "messages": USER_MSG, **extra}


def test_messages_plain_has_required_fields(served):
    status, body = served.json("POST", "/v1/messages", messages(system="Be terse."))
    assert status == 200
    assert {"id", "type", "role", "content", "model", "stop_reason", "usage"} <= set(body)
    assert (body["type"], body["role"], body["stop_reason"]) == ("message", "assistant", "end_turn")
    assert body["content"] == [{"type": "text", "text": standin_module.DEFAULT_REPLY}]
    assert set(body["usage"]) == {"input_tokens", "output_tokens"}


def test_messages_accepts_claude_code_style_requests(served):
    body = messages(
        stream=True,
        system=[{"type": "text", "text": "You are Claude Code."}],
        tools=[{"name": "Read", "input_schema": {"type": "object"}}],
        messages=[{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
    )
    status, text = served.call("POST", "/v1/messages?beta=true", body)
    assert status == 200
    assert sse(text)[-1][0] == "message_stop"


def test_messages_stream_follows_the_documented_event_order(served):
    status, text = served.call("POST", "/v1/messages", messages(stream=True))
    events = sse(text)
    names = [n for n, _d in events]
    assert status == 200
    assert names[:2] == ["message_start", "content_block_start"]
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert set(names[2:-3]) == {"content_block_delta"}
    assert all(json.loads(d)["type"] == n for n, d in events)
    start = json.loads(events[0][1])["message"]
    assert (start["role"], start["content"], start["stop_reason"]) == ("assistant", [], None)
    text = "".join(json.loads(d)["delta"]["text"] for n, d in events if n == "content_block_delta")
    assert text == standin_module.DEFAULT_REPLY
    assert json.loads(events[-2][1])["delta"]["stop_reason"] == "end_turn"


def test_messages_unknown_model_is_an_anthropic_error(standin):
    status, body = standin.json("POST", "/v1/messages", messages("nope:1b"))
    assert status == 404
    assert body["type"] == "error"
    assert body["error"]["type"] == "not_found_error"
    assert "nope:1b" in body["error"]["message"]


def test_messages_did_not_exist_before_0_14(served):
    served.faults(version="0.13.5")
    assert served.json("GET", "/api/version")[1] == {"version": "0.13.5"}
    assert served.call("POST", "/v1/messages", messages()) == (404, "404 page not found")


# --- faults ------------------------------------------------------------------------------


def test_fault_http_500_on_a_path(served):
    served.faults(http_500=["/v1/chat/completions", "/api/p*"])
    assert (
        served.call("POST", "/v1/chat/completions", {"model": MODEL, "messages": USER_MSG})[0]
        == 500
    )
    assert served.call("GET", "/api/ps")[0] == 500
    assert served.call("GET", "/api/tags")[0] == 200


def test_fault_omit_fields(served):
    served.faults(omit_fields={"/v1/messages": ["stop_reason", "usage"]})
    body = served.json("POST", "/v1/messages", messages())[1]
    assert "stop_reason" not in body
    assert "usage" not in body


def test_fault_messages_stream_events(served):
    served.faults(messages_stream_events=["message_start", "content_block_delta", "message_stop"])
    names = [n for n, _d in sse(served.call("POST", "/v1/messages", messages(stream=True))[1])]
    assert names[0] == "message_start"
    assert names[-1] == "message_stop"
    assert set(names[1:-1]) == {"content_block_delta"}


def test_faults_for_openai_streams_and_json(served):
    served.faults(
        drop_done_marker=True, ignore_include_usage=True, json_mode_text=True, reply="plain"
    )
    body = {
        "model": MODEL,
        "messages": USER_MSG,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    data = [d for _n, d in sse(served.call("POST", "/v1/chat/completions", body)[1])]
    assert "[DONE]" not in data
    assert not any("usage" in json.loads(d) for d in data)
    body = {"model": MODEL, "messages": USER_MSG, "response_format": {"type": "json_object"}}
    content = served.json("POST", "/v1/chat/completions", body)[1]["choices"][0]["message"][
        "content"
    ]
    assert content == "plain"


def test_fault_accept_unknown_models(standin):
    standin.faults(accept_unknown_models=True)
    assert standin.call("POST", "/v1/messages", messages("nope:1b"))[0] == 200


# --- the `ollama` CLI wrapper -------------------------------------------------------------


def cli(standin, *args, cli_path=OLLAMA_CLI):
    return subprocess.run(
        [str(cli_path), *args], env=standin.env, capture_output=True, text=True, timeout=30
    )


def test_cli_pull_list_ps_rm(standin):
    pulled = cli(standin, "pull", MODEL)
    assert pulled.returncode == 0
    assert pulled.stdout.splitlines()[-1] == "success"
    listing = cli(standin, "list").stdout.splitlines()
    assert listing[0].split() == ["NAME", "ID", "SIZE", "MODIFIED"]
    assert listing[1].startswith(MODEL)
    standin.call("POST", "/api/generate", {"model": MODEL, "keep_alive": -1})
    assert "Forever" in cli(standin, "ps").stdout
    assert cli(standin, "rm", MODEL).stdout.strip() == f"deleted '{MODEL}'"
    missing = cli(standin, "rm", MODEL)
    assert missing.returncode == 1
    assert "not found" in missing.stderr


def test_cli_pull_failure_exits_non_zero(standin):
    standin.faults(fail_pull=["broken:1b"])
    run = cli(standin, "pull", "broken:1b")
    assert run.returncode == 1
    assert run.stderr.startswith("Error: ")


def test_cli_version_formats(standin, tmp_path):
    assert cli(standin, "-v").stdout == "ollama version is 0.14.2\n"
    standin.faults(version="0.13.5")
    assert cli(standin, "--version").stdout.splitlines() == [
        "ollama version is 0.13.5",
        "Warning: client version is 0.14.2",
    ]
    standin.stop()
    assert cli(standin, "-v").stdout.splitlines() == [
        "Warning: could not connect to a running Ollama instance",
        "Warning: client version is 0.14.2",
    ]


def test_cli_works_copied_alone_and_reads_ollama_version(standin, tmp_path):
    """As packaged into a release archive or a Homebrew keg, reached through a symlink."""
    keg = tmp_path / "Cellar" / "ollama" / "0.13.0" / "bin"
    keg.mkdir(parents=True)
    for name in ("ollama", "ollama_standin.py"):
        shutil.copy2(STANDINS / name, keg / name)
    (keg / "ollama.version").write_text("0.13.0\n")
    link = tmp_path / "bin" / "ollama"
    link.parent.mkdir()
    link.symlink_to(keg / "ollama")
    run = cli(standin, "-v", cli_path=link)
    assert run.stdout.splitlines() == [
        "ollama version is 0.14.2",
        "Warning: client version is 0.13.0",
    ]


def test_cli_serve_reports_the_packaged_version(make_standin, tmp_path):
    keg = tmp_path / "pkg"
    keg.mkdir()
    for name in ("ollama", "ollama_standin.py"):
        shutil.copy2(STANDINS / name, keg / name)
    (keg / "ollama.version").write_text("0.14.9\n")
    port = free_port()
    env = standin_env(tmp_path, port)
    proc = subprocess.Popen(
        [str(keg / "ollama"), "serve"], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        line = proc.stderr.readline() + proc.stderr.readline()
        assert "Listening on 127.0.0.1" in line
        assert "(version 0.14.9)" in line
    finally:
        proc.terminate()
        proc.wait(timeout=5)
        proc.stderr.close()
