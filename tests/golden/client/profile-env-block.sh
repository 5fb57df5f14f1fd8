# Aider's server settings (remote-ollama). POSIX sh: bash, zsh and dash read it.
case ":$PATH:" in
  *":$HOME/.local/bin:"*) ;;
  *) export PATH="$HOME/.local/bin:$PATH" ;;
esac
if [ -f "$HOME/.ai-client/env" ]; then . "$HOME/.ai-client/env"; fi
