"""Custom tags and port for every host."""

tailscale_server_tag = "tag:llm"
tailscale_client_tag = "tag:coder"
ollama_port = 8434
