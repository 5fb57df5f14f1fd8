"""Settings for every host, server and clients. See the README's settings table."""

# Models the server keeps pulled; clients get Aider settings for each.
models = ["qwen2.5-coder:7b", "qwen3-coder:30b"]
# Model Aider and claude-ollama use by default; must be one of `models`.
default_model = "qwen2.5-coder:7b"
# TCP port Ollama listens on.
ollama_port = 11434
# OLLAMA_CONTEXT_LENGTH; Aider's num_ctx and Claude Code's max context follow it.
ollama_context_length = 65536
# Address clients use to reach the server; None = the `server` group's host name.
ollama_server_host = None
# Pin Ollama to an exact release (installed from its archive); None = Homebrew's formula.
ollama_version = None
# Claude Code version clients install (exact pin; lower it to downgrade).
claude_code_version = "2.1.332"
# aider-chat version clients install (exact pin).
aider_version = "0.86.2"
# Converge even a Claude Code/Ollama pair the compatibility matrix marks broken.
allow_incompatible_versions = False
# Tailscale tags used by `remote-ollama acl` and inventory/tailscale.py.
tailscale_server_tag = "tag:ai-server"
tailscale_client_tag = "tag:ai-client"
