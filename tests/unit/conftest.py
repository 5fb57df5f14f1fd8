"""Shared fixtures for the unit tests."""

from ollama_standin_support import make_standin, served, standin

__all__ = ["make_standin", "served", "standin"]
