# The claude-ollama alias (a function, see ~/.ai-client/claude-ollama.sh), for bash and zsh.
if [ -n "${BASH_VERSION-}${ZSH_VERSION-}" ] && [ -f "$HOME/.ai-client/claude-ollama.sh" ]; then
  . "$HOME/.ai-client/claude-ollama.sh"
fi
