"""remote-ollama: declarative pyinfra deploys for a private Ollama server and its clients."""

__version__ = "0.1.0"
