# The claude-ollama alias (a function, see ~/.ai-client/claude-ollama.sh), for bash and zsh only:
# the name is not valid in POSIX sh (dash, or bash in POSIX mode, which macOS's /bin/sh is).
case "${ZSH_VERSION:+zsh}:${BASH_VERSION:+bash}:${SHELLOPTS-}" in
  :bash:*posix*) ;;
  zsh:*|:bash:*) if [ -f "$HOME/.ai-client/claude-ollama.sh" ]; then . "$HOME/.ai-client/claude-ollama.sh"; fi ;;
esac
