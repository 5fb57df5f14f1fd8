"""A group-level value must not make the hosts disagree: clients repeat the same port."""

ollama_port = 8434
