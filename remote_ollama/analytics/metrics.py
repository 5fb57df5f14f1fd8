"""Measure one iteration from its stream-json events (pure, no I/O).

Counting rules, which the docs and the tests rely on:

- A tool call is a ``tool_use`` block inside an ``assistant`` event. Claude Code may
  repeat a message across several events, so calls are de-duplicated by their ``id``.
- Calls in events whose ``parent_tool_use_id`` is set were made inside a subagent and
  are counted apart from the top-level ones.
- Tokens come from the final ``result`` event's ``usage``. Without a ``result`` event
  (an interrupted or crashed iteration) they are estimated from the top-level assistant
  messages' ``usage`` (the last one seen for each message id) and flagged as estimated.
- Peak context is the largest single request: the maximum over assistant messages of
  input + cache creation + cache read tokens.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

# Tool names that spawn a subagent; newer Claude Code builds may call the tool "Agent".
SPAWN_TOOLS = frozenset({"Task", "Agent"})
# The named columns of every table, in order; anything else is counted as "other".
TOOL_COLUMNS = ("Read", "Bash", "Edit", "Write", "Grep", "Glob", "Task", "TodoWrite")
SHALLOW_TOOLS = ("Read", "Grep", "Glob")
DEEP_TOOLS = ("Edit", "Write")

TOKENS_FROM_RESULT = "result"
TOKENS_ESTIMATED = "estimated from assistant messages"
TOKENS_NONE = "none"


@dataclass(frozen=True)
class TokenUsage:
    """Token counts as the Anthropic API reports them."""

    input: int = 0
    cache_creation: int = 0
    cache_read: int = 0
    output: int = 0

    @classmethod
    def from_usage(cls, usage: object) -> TokenUsage:
        """Read an API ``usage`` object; missing or non-numeric fields count as 0."""
        if not isinstance(usage, dict):
            return cls()
        return cls(
            input=_int(usage.get("input_tokens")),
            cache_creation=_int(usage.get("cache_creation_input_tokens")),
            cache_read=_int(usage.get("cache_read_input_tokens")),
            output=_int(usage.get("output_tokens")),
        )

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            self.input + other.input,
            self.cache_creation + other.cache_creation,
            self.cache_read + other.cache_read,
            self.output + other.output,
        )

    @property
    def context(self) -> int:
        """All input-side tokens: what a backend without a prompt cache must process."""
        return self.input + self.cache_creation + self.cache_read

    @property
    def cache_hit_rate(self) -> float | None:
        """cache_read / (cache_creation + cache_read); None when nothing was cacheable."""
        cacheable = self.cache_creation + self.cache_read
        return self.cache_read / cacheable if cacheable else None


@dataclass
class IterationMetrics:
    """What one ``claude -p`` run did, as far as its transcript tells."""

    top_level_tools: Counter = field(default_factory=Counter)
    subagent_tools: Counter = field(default_factory=Counter)
    tokens: TokenUsage = field(default_factory=TokenUsage)
    tokens_source: str = TOKENS_NONE
    peak_context: int = 0
    has_result: bool = False
    result_subtype: str | None = None
    result_is_error: bool = False
    num_turns: int | None = None
    duration_ms: int | None = None
    cost_usd: float | None = None
    model: str | None = None

    @property
    def all_tools(self) -> Counter:
        """Top-level and subagent calls together."""
        return self.top_level_tools + self.subagent_tools

    @property
    def subagent_spawns(self) -> int:
        """Top-level Task calls: subagents started by the main loop."""
        return sum(self.top_level_tools[name] for name in SPAWN_TOOLS)

    @property
    def shallow(self) -> int:
        """Read + Grep + Glob calls, top-level and inside subagents."""
        return sum(self.all_tools[name] for name in SHALLOW_TOOLS)

    @property
    def deep(self) -> int:
        """Edit + Write calls, top-level and inside subagents."""
        return sum(self.all_tools[name] for name in DEEP_TOOLS)


def measure_iteration(events: list[dict]) -> IterationMetrics:
    """Compute an iteration's metrics from its parsed events."""
    metrics = IterationMetrics()
    seen_tool_ids: set[str] = set()
    last_usage_by_message: dict[str, TokenUsage] = {}
    for index, event in enumerate(events):
        kind = event.get("type")
        if kind == "system" and event.get("subtype") == "init":
            metrics.model = event.get("model") if isinstance(event.get("model"), str) else None
        elif kind == "assistant":
            _count_tool_calls(event, metrics, seen_tool_ids)
            message = event.get("message") if isinstance(event.get("message"), dict) else {}
            usage = TokenUsage.from_usage(message.get("usage"))
            metrics.peak_context = max(metrics.peak_context, usage.context)
            if event.get("parent_tool_use_id") is None:
                message_id = message.get("id") or f"#event-{index}"
                last_usage_by_message[str(message_id)] = usage
        elif kind == "result":
            _read_result(event, metrics)
    if not metrics.has_result and last_usage_by_message:
        metrics.tokens = sum(last_usage_by_message.values(), TokenUsage())
        metrics.tokens_source = TOKENS_ESTIMATED
    return metrics


def tool_column(name: str) -> str:
    """The table column a tool name is counted under ("other" if not a named one)."""
    if name in SPAWN_TOOLS:
        return "Task"
    return name if name in TOOL_COLUMNS else "other"


def _count_tool_calls(event: dict, metrics: IterationMetrics, seen: set[str]) -> None:
    message = event.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, list):
        return
    target = metrics.top_level_tools if event.get("parent_tool_use_id") is None else (
        metrics.subagent_tools
    )
    for block in content:
        if not isinstance(block, dict) or block.get("type") != "tool_use":
            continue
        block_id = block.get("id")
        if isinstance(block_id, str):
            if block_id in seen:
                continue
            seen.add(block_id)
        target[str(block.get("name") or "unnamed")] += 1


def _read_result(event: dict, metrics: IterationMetrics) -> None:
    # The last result event wins; there is normally exactly one.
    metrics.has_result = True
    metrics.tokens = TokenUsage.from_usage(event.get("usage"))
    metrics.tokens_source = TOKENS_FROM_RESULT
    metrics.result_subtype = event.get("subtype") if isinstance(event.get("subtype"), str) else None
    metrics.result_is_error = event.get("is_error") is True
    metrics.num_turns = _int_or_none(event.get("num_turns"))
    metrics.duration_ms = _int_or_none(event.get("duration_ms"))
    cost = event.get("total_cost_usd")
    metrics.cost_usd = float(cost) if isinstance(cost, (int, float)) else None


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
