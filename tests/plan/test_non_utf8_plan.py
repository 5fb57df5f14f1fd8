"""A profile that is not UTF-8 (Latin-1) reaches the client deploy byte for byte."""

from __future__ import annotations

from remote_ollama.client import SHELL_PROFILES
from tests.plan.clients import fresh_mac_client, stub
from tests.plan.harness import managed_file_lines, plan


def test_a_latin1_profile_is_read_whole_and_kept_in_the_new_content():
    sections = fresh_mac_client()
    sections["profile.zshrc"] = (0, managed_file_lines("export NAME=caf\udce9"))  # b"\xe9"
    result = plan("client", clients={"c": stub(sections)},
                  data={"ollama_server_host": "ai-server"})["c"]
    upload = next(c for c in result.commands_of(SHELL_PROFILES) if "/.zshrc." in c)
    new = upload.split("\n", 1)[1].encode("utf-8", "surrogateescape")
    assert new.startswith(b"export NAME=caf\xe9\n")
