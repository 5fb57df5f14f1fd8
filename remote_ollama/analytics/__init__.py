"""Claude Code loop analytics: run `claude -p` in a loop and measure what it does.

The pieces, from raw bytes to reports:

- ``stream``: split a stream-json transcript into events, keeping count of bad lines.
- ``metrics``: one iteration's tool calls, tokens and result, from its events.
- ``run_metrics``: a whole run: iterations, totals, averages and problems found.
- ``rundir``: the on-disk layout of a run (``run.json``, ``iteration-N.json``).
- ``summary`` / ``findings`` / ``tables``: the text and Markdown reports.
- ``compare`` / ``plot``: two runs side by side, as a table or a bar chart.
- ``runner`` / ``backend`` / ``prompt_text``: running ``claude -p`` for real (prompts/ holds
  the packaged plan and build prompt files).
- ``cli``: the ``remote-ollama analytics`` subcommands.
"""
