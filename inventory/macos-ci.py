"""CI profile: this Mac (`@local`) as both server and client, for a runner or a spare Mac.

Used by .github/workflows/macos.yml on GitHub's arm64 macOS runners (7 GB memory, no
tailnet, passwordless sudo); run from the repo root so group_data/ applies too:

    pyinfra -y inventory/macos-ci.py deploys/server.py
    pyinfra -y inventory/macos-ci.py deploys/client.py

`@local` is in both groups, so each deploy acts on it (see validation.host_has_role).
Settings not named here come from group_data/ (Aider and Claude Code pins in all.py).
"""

_ci = {
    # The runner is not on a tailnet: listen on loopback and do not require Tailscale.
    "ollama_bind": "loopback",
    "tailscale_required": False,
    # The smallest chat model in Ollama's library (~271 MB); the contract needs chat.
    # If its JSON-mode check proves flaky, qwen2.5:0.5b (~400 MB) is the next size up.
    "models": ["smollm2:135m"],
    "default_model": "smollm2:135m",
    # smollm2 was trained with 8k tokens; a small window keeps the KV cache small.
    "ollama_context_length": 8192,
    # The default: a user LaunchAgent. Runners auto-log-in their user, so gui/<uid> exists.
    "ollama_service": "agent",
    # The tiny model fits easily; keep the check on so it is exercised.
    "memory_check": "fail",
    # Keys `pmset -g` lists on every Mac, VMs too; applied with sudo like on a real server.
    "pmset": {"sleep": 0, "disksleep": 0},
    # Client side: the server is this machine; the runner's login shell is bash.
    "ollama_server_host": "127.0.0.1",
    "client_shell": "zsh",
    "claude_code_enabled": True,
}

server = [("@local", _ci)]
clients = [("@local", _ci)]
