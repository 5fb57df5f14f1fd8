# Managed by remote-ollama; changes are overwritten on the next converge.
# The claude-ollama alias, defined as a function so non-interactive shells have it too:
# Claude Code 2.1.332 against the Ollama server; plain `claude` stays the cloud one.
# Sourced by bash and zsh only (the name is not valid in POSIX sh).
claude-ollama() {
  ANTHROPIC_BASE_URL=http://ai-server:11434 \
  ANTHROPIC_AUTH_TOKEN=ollama \
  ANTHROPIC_API_KEY='' \
  ANTHROPIC_MODEL=qwen3-coder:30b \
  ANTHROPIC_DEFAULT_OPUS_MODEL=qwen3-coder:30b \
  ANTHROPIC_DEFAULT_SONNET_MODEL=qwen3-coder:30b \
  ANTHROPIC_DEFAULT_HAIKU_MODEL=qwen2.5-coder:7b \
  CLAUDE_CODE_SUBAGENT_MODEL=qwen3-coder:30b \
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 \
  CLAUDE_CODE_MAX_CONTEXT_TOKENS=32768 \
  /Users/alice/.local/share/remote-ollama/claude-code/2.1.332/claude --dangerously-skip-permissions "$@"
}
