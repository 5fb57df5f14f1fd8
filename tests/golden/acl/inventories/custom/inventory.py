"""Inventory for the custom tags/port golden: its own group_data/ sits next to it."""

server = ["llm.tail9.ts.net"]
clients = ["dev1.tail9.ts.net", ("dev2.tail9.ts.net", {"claude_code_enabled": True})]
