"""Settings for the `clients` group: machines that run Aider and Claude Code. See the README's settings table.

The comments are the schema's descriptions (remote_ollama/settings_schema.py): edit
there and run `python -m remote_ollama.settings_docs`, which rewrites this file
keeping its values; a test fails when the two differ."""

# `absent` removes env file, blocks, Aider, alias, lock and Aider config.
client_state = "present"
# Clients that install a new Aider or Claude Code at the same time, in inventory order; 0
# = all at once.
client_rollout_batch = 0
# Clients whose new Aider or Claude Code fails its check before later batches are left
# untouched; 0 = never stop.
client_rollout_max_failures = 1
# Shell profile to manage; `auto` reads the user's login shell.
client_shell = "auto"
# Install Aider isolated with uv (default) or pipx.
aider_installer = "uv"
# Python for Aider (aider-chat 0.86 refuses 3.13).
aider_python = "3.12"
# Python package index for offline/private installs (uv/pip).
package_index_url = None
# A find-links URL (wheelhouse) for offline installs.
package_find_links = None
# Install Claude Code and the `claude-ollama` alias on this client.
claude_code_enabled = False
# npm registry (or mirror) serving Claude Code's native binary packages.
claude_code_registry = "https://registry.npmjs.org"
# Model for claude-ollama; None = `default_model`.
claude_code_model = None
# Model for Haiku-class background calls (subagents use the main model); None =
# claude_code_model.
claude_code_small_model = None
# Add --dangerously-skip-permissions to claude-ollama (the seed did).
claude_code_skip_permissions = False
# End the client deploy with a (warning-only) check of /v1/models.
reachability_check = True
# Tailscale's package site; Debian/Ubuntu clients use <url>/<debian|ubuntu>/<codename>.
tailscale_apt_url = "https://pkgs.tailscale.com/stable"
# Fingerprint the apt signing key must have before apt trusts it.
tailscale_apt_key_fingerprint = "2596A99EAAB33821893C0A79458CA832957F5868"
