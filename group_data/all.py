"""Settings for every host, server and clients. See the README's settings table.

The comments are the schema's descriptions (remote_ollama/settings.py): edit them
there and run `python -m remote_ollama.settings_docs`, which rewrites this file
keeping its values; a test fails when the two differ."""

# Models the server keeps pulled; clients get Aider settings for each.
models = ["qwen2.5-coder:7b", "qwen3-coder:30b"]
# Model Aider and claude-ollama use by default; must be one of `models`.
default_model = "qwen2.5-coder:7b"
# TCP port Ollama listens on.
ollama_port = 11434
# OLLAMA_CONTEXT_LENGTH; clients send the same num_ctx and max context.
ollama_context_length = 65536
# Address clients use for the server; default: the `server` group's host.
ollama_server_host = None
# Pin Ollama to exactly this release (installed from its archive); None = Homebrew's
# formula.
ollama_version = None
# Claude Code version clients install (exact pin).
claude_code_version = "2.1.332"
# aider-chat version clients install (exact pin).
aider_version = "0.86.2"
# Converge even a Claude Code/Ollama pair the matrix marks broken.
allow_incompatible_versions = False
# Tailscale tag of the server (ACL and dynamic inventory).
tailscale_server_tag = "tag:ai-server"
# Tailscale tag of clients (ACL and dynamic inventory).
tailscale_client_tag = "tag:ai-client"
