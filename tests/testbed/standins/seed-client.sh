#!/bin/sh
# Test-only: leave this user's home as the original install scripts leave a client
# (henriquefalconer/remote-ollama, client/scripts/install.sh, steps 7-13):
#   - ~/.ai-client/env from env.template (umask mode; early versions put /v1 on
#     OLLAMA_API_BASE, as here);
#   - the env block appended to the login shell's rc file (~/.zshrc for zsh, ~/.bashrc
#     for bash), after an empty line, unless its start marker is already there (`grep -q`);
#     `touch` first, so a missing rc file becomes "\n" + block. The block's lines are the
#     ones issue 19 lists ("$HOME/..."; the script's unquoted heredoc writes the absolute
#     path instead, a variant the unit tests cover);
#   - ~/.ai-client/uninstall.sh, copied there for curl-pipe users. The real one uninstalls
#     Aider with pipx, deletes the profile block and ~/.ai-client; this stand-in keeps its
#     header line (what the deploy recognises it by) and only says what it would do.
# Usage, as the user (e.g. fleet.exec(host, "sh /usr/local/share/standin/seed-client.sh")):
#   seed-client.sh [SERVER_HOSTNAME]     (default remote-ollama, as the script's prompt)
set -eu
SERVER=${1:-remote-ollama}
CLIENT_DIR="$HOME/.ai-client"
mkdir -p "$CLIENT_DIR"
cat > "$CLIENT_DIR/env" <<ENV
# remote-ollama ai-client environment configuration
# Source: client/specs/API_CONTRACT.md
# Generated from env.template by install.sh -- do not edit manually
export OLLAMA_API_BASE=http://$SERVER:11434/v1
export OPENAI_API_BASE=http://$SERVER:11434/v1
export OPENAI_API_KEY=ollama
# export AIDER_MODEL=ollama/<model-name>
ENV
case "$(basename "${SHELL:-/bin/zsh}")" in
    bash) PROFILE="$HOME/.bashrc" ;;
    *) PROFILE="$HOME/.zshrc" ;;
esac
if ! grep -q "# >>> ai-client >>>" "$PROFILE" 2>/dev/null; then
    touch "$PROFILE"
    cat >> "$PROFILE" <<'BLOCK'

# >>> ai-client >>>
# remote-ollama ai-client environment configuration
if [ -f "$HOME/.ai-client/env" ]; then
    source "$HOME/.ai-client/env"
fi
# <<< ai-client <<<
BLOCK
fi
cat > "$CLIENT_DIR/uninstall.sh" <<'UNINSTALL'
#!/bin/bash
set -euo pipefail

# remote-ollama-client uninstall script
# Removes only client-side changes made by install.sh
echo "stand-in: would uninstall Aider (pipx), remove the ai-client block and ~/.ai-client"
UNINSTALL
chmod +x "$CLIENT_DIR/uninstall.sh"
