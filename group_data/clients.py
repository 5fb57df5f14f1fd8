"""Settings for the `clients` group: machines that run Aider and Claude Code."""

# present = converge; absent = remove env file, blocks, Aider, alias, lock, Aider config.
client_state = "present"
# Shell profile to manage: auto (the user's login shell), zsh or bash.
client_shell = "auto"
# Install Aider isolated with uv (default) or pipx.
aider_installer = "uv"
# Python for Aider: 3.10, 3.11 or 3.12 (aider-chat 0.86 refuses 3.13).
aider_python = "3.12"
# Python package index for private/offline installs; None = PyPI.
package_index_url = None
# A find-links URL (wheelhouse) for offline installs; None = none.
package_find_links = None
# Install Claude Code and the `claude-ollama` alias (opt-in per host).
claude_code_enabled = False
# npm registry (or mirror) serving Claude Code's native binary packages.
claude_code_registry = "https://registry.npmjs.org"
# Model for claude-ollama; None = default_model.
claude_code_model = None
# Model for Haiku-class background calls (subagents use the main model); None = claude_code_model.
claude_code_small_model = None
# Add --dangerously-skip-permissions to claude-ollama (the seed did; off by default).
claude_code_skip_permissions = False
# End the client deploy with a warning-only check of the server's /v1/models.
reachability_check = True

# Tailscale's apt repository for Debian/Ubuntu clients (tailscale_install), and the
# fingerprint its signing key must have (docs/new-mac.md says where it was checked).
tailscale_apt_url = "https://pkgs.tailscale.com/stable"
tailscale_apt_key_fingerprint = "2596A99EAAB33821893C0A79458CA832957F5868"
