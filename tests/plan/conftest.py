"""Plan tests never reach a registry: Claude Code's sha512 comes from a stub."""

import pytest

from remote_ollama.operations import claude_code

SHA512 = "ab" * 64  # what the stub registry publishes for every version


@pytest.fixture(autouse=True)
def stub_registry(monkeypatch):
    asked = []

    def registry_sha512(url: str, version: str) -> str:
        asked.append((url, version))
        return SHA512

    monkeypatch.setattr(claude_code, "registry_sha512", registry_sha512)
    return asked


@pytest.fixture
def sent(monkeypatch) -> list[str]:
    """Every command the fake hosts are sent during the test, in order."""
    from pyinfra.connectors.fake import FakeConnector

    commands: list[str] = []
    original = FakeConnector.run_shell_command

    def record(self, command, **kwargs):
        commands.append(str(command))
        return original(self, command, **kwargs)

    monkeypatch.setattr(FakeConnector, "run_shell_command", record)
    return commands
