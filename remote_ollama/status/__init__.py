"""`remote-ollama status`: the fleet at a glance (see ``collect.py`` and ``render.py``)."""
