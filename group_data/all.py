"""Settings for every host, server and clients. See the README's settings table.

The comments are the schema's descriptions (remote_ollama/settings_schema.py): edit
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
# Claude Code version clients install (exact pin; lower it to downgrade).
claude_code_version = "2.1.332"
# aider-chat version clients install (exact pin).
aider_version = "0.86.2"
# Converge even a Claude Code/Ollama pair the matrix marks broken.
allow_incompatible_versions = False
# Tailscale tag of the server (ACL and dynamic inventory).
tailscale_server_tag = "tag:ai-server"
# Tailscale tag of clients (ACL and dynamic inventory).
tailscale_client_tag = "tag:ai-client"
# Install Homebrew (and the Command Line Tools) with its official installer when
# /opt/homebrew is missing; needs passwordless sudo. Server and macOS clients.
homebrew_install = False
# Homebrew's install.sh (or a mirror of it) used by `homebrew_install`.
homebrew_install_url = "https://raw.githubusercontent.com/Homebrew/install/HEAD/install.sh"
# Install Tailscale when absent (macOS: Homebrew's `tailscale` formula, tailscaled as a
# root daemon; Debian/Ubuntu: Tailscale's apt repository) and join the tailnet with an
# auth key and this host's tag unless already Running with it.
tailscale_install = False
# Controller environment variable holding the Tailscale auth key (tskey-auth-...); read
# only when a join is needed, never printed.
tailscale_auth_key_env = "REMOTE_OLLAMA_TS_AUTHKEY"
# Controller file holding the auth key (used when the variable is unset); keep it mode
# 600. Never put the key itself in group_data.
tailscale_auth_key_file = None
# `tailscale up --hostname`: the node's tailnet name; None = the OS name.
tailscale_hostname = None
