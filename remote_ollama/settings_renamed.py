"""Setting keys that were renamed or removed: validation says "renamed to X" or "removed:
why" instead of "unknown setting" (``remote_ollama.settings_validation``).

remote-ollama's own keys have kept their names since the schema was laid out (git log -p
remote_ollama/settings.py); these are the names of the same settings in the anchors people
come from: Ollama's environment variables, lower-cased (ollama/ollama
envconfig/config.go), and NixOS's services.ollama options (ollama.nix).
"""

__all__ = ["REMOVED", "RENAMED"]  # public; remote_ollama.settings re-exports them

# Keys that were renamed, and what they are called now.
RENAMED = {
    "ollama_host": "ollama_bind",  # OLLAMA_HOST is built from ollama_bind and ollama_port
    "ollama_models": "ollama_models_dir",  # OLLAMA_MODELS
    "ollama_origin": "ollama_origins",
    "load_models": "models",  # NixOS services.ollama.loadModels
    "loadModels": "models",
    "environment_variables": "ollama_extra_env",  # NixOS services.ollama.environmentVariables
    "environmentVariables": "ollama_extra_env",
}
# Keys that no longer mean anything here, and why.
REMOVED = {
    "acceleration": "NixOS's GPU choice; Ollama on a Mac always uses Metal, nothing to set",
}
