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

# --- A bare Mac (or client) to serving in one converge: docs/new-mac.md. All opt-in. ---
# Install Homebrew unattended when /opt/homebrew is missing (needs passwordless sudo).
homebrew_install = False
# Homebrew's install.sh, or a mirror of it.
homebrew_install_url = "https://raw.githubusercontent.com/Homebrew/install/HEAD/install.sh"
# Install Tailscale when absent and join the tailnet with this host's tag.
tailscale_install = False
# The auth key is read on the controller from this variable, or from this file; never here.
tailscale_auth_key_env = "REMOTE_OLLAMA_TS_AUTHKEY"
tailscale_auth_key_file = None
# `tailscale up --hostname`; None = the OS host name. Set it per host, in the inventory.
tailscale_hostname = None
