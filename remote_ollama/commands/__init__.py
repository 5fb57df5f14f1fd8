"""Subcommands of the `remote-ollama` CLI, one module each."""
