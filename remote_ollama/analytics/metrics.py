"""Measure one iteration from its stream-json events (pure, no I/O).

Counting rules, which the docs and the tests rely on:

- A tool call is a ``tool_use`` block inside an ``assistant`` event. Claude Code may
  repeat a message across several events, so calls are de-duplicated by their ``id``.
- Calls in events whose ``parent_tool_use_id`` is set were made inside a subagent and
  are counted apart from the top-level ones.
- Tokens: see :func:`count_tokens` and docs/analytics.md ("Which token count is
  authoritative"). In short: the ``modelUsage`` of the last ``result`` event when the
  stream ends with it; otherwise the best lower bound, flagged as incomplete.
- Peak context is the largest single request: the maximum over assistant messages of
  input + cache creation + cache read tokens.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

# Tool names that spawn a subagent; newer Claude Code builds may call the tool "Agent".
SPAWN_TOOLS = frozenset({"Task", "Agent"})
# The named columns of every table, in order; anything else is counted as "other".
TOOL_COLUMNS = ("Read", "Bash", "Edit", "Write", "Grep", "Glob", "Task", "TodoWrite")
SHALLOW_TOOLS = ("Read", "Grep", "Glob")
DEEP_TOOLS = ("Edit", "Write")

# Where an iteration's token total comes from (IterationMetrics.tokens_source).
TOKENS_MODEL_USAGE = "modelUsage"
TOKENS_RESULTS = "result events + subagent messages"
TOKENS_MESSAGES = "assistant messages"
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

    @classmethod
    def from_model_usage(cls, model_usage: object) -> TokenUsage | None:
        """Sum Claude Code's ``modelUsage`` ({model: {inputTokens, ...}}) over its models."""
        if not isinstance(model_usage, dict) or not model_usage:
            return None
        total = cls()
        for entry in model_usage.values():
            if isinstance(entry, dict):
                total += cls(
                    input=_int(entry.get("inputTokens")),
                    cache_creation=_int(entry.get("cacheCreationInputTokens")),
                    cache_read=_int(entry.get("cacheReadInputTokens")),
                    output=_int(entry.get("outputTokens")),
                )
        return total

    def at_least(self, other: TokenUsage) -> TokenUsage:
        """Field by field the larger: the best lower bound from two lower bounds."""
        return TokenUsage(
            max(self.input, other.input),
            max(self.cache_creation, other.cache_creation),
            max(self.cache_read, other.cache_read),
            max(self.output, other.output),
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
    # False when the stream cannot tell the whole total: ``tokens`` is then a lower bound
    # and ``tokens_gap`` says what is missing.
    tokens_complete: bool = False
    tokens_gap: str | None = None
    peak_context: int = 0
    result_count: int = 0
    result_subtype: str | None = None
    result_is_error: bool = False
    num_turns: int | None = None
    duration_ms: int | None = None
    cost_usd: float | None = None
    model: str | None = None

    @property
    def has_result(self) -> bool:
        return self.result_count > 0

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


@dataclass
class _TokenSources:
    """The three token counts a stream carries, gathered in one pass."""

    # message id -> last usage seen, for the main loop and for subagents
    main_messages: dict[str, TokenUsage] = field(default_factory=dict)
    subagent_messages: dict[str, TokenUsage] = field(default_factory=dict)
    results: TokenUsage = field(default_factory=TokenUsage)
    model_usage: TokenUsage | None = None  # from the last result event
    assistant_after_last_result: bool = False
    # background subagents (system task_started) not yet reported done (task_notification)
    unfinished_tasks: set[str] = field(default_factory=set)
    # a usage or modelUsage that was there but not numbers: its fields counted as 0
    unreadable_usage: bool = False


def measure_iteration(events: list[dict]) -> IterationMetrics:
    """Compute an iteration's metrics from its parsed events."""
    metrics = IterationMetrics()
    sources = _TokenSources()
    seen_tool_ids: set[str] = set()
    for index, event in enumerate(events):
        kind = event.get("type")
        if kind == "system" and event.get("subtype") == "init":
            if metrics.model is None and isinstance(event.get("model"), str):
                metrics.model = event["model"]
        elif kind == "assistant":
            _count_tool_calls(event, metrics, seen_tool_ids)
            message = event.get("message") if isinstance(event.get("message"), dict) else {}
            usage = TokenUsage.from_usage(message.get("usage"))
            sources.unreadable_usage |= not _readable(message.get("usage"), USAGE_KEYS)
            metrics.peak_context = max(metrics.peak_context, usage.context)
            message_id = message.get("id")
            key = message_id if isinstance(message_id, str) else f"#event-{index}"
            if event.get("parent_tool_use_id") is None:
                sources.main_messages[key] = usage
            else:
                sources.subagent_messages[key] = usage
            sources.assistant_after_last_result = True
        elif kind == "result":
            _read_result(event, metrics, sources)
        elif kind == "system" and isinstance(event.get("task_id"), str):
            if event.get("subtype") == "task_started":
                sources.unfinished_tasks.add(event["task_id"])
            elif event.get("subtype") == "task_notification":
                sources.unfinished_tasks.discard(event["task_id"])
    count_tokens(metrics, sources)
    return metrics


def count_tokens(metrics: IterationMetrics, sources: _TokenSources) -> None:
    """Choose the iteration's token total; see docs/analytics.md for why this order.

    1. ``modelUsage`` of the last result event: Claude Code's own running total for the
       session, every model, the main loop and subagents, and requests that never show
       up as assistant events. Complete when no assistant message came after that event.
    2. Without ``modelUsage`` (older Claude Code): every result event's ``usage`` (each
       covers the main-loop turns since the one before) plus the subagents' requests,
       one per message id. Complete when no subagent ran, as assistant events carry the
       usage of the request's start, whose output count is not final.
    3. Without any result event (cut short): the requests' usage, one per message id.
       A lower bound: output counts are not final, the last request may be missing.

    An incomplete total is the field-by-field largest of the lower bounds available.
    """
    messages = sum(
        (*sources.main_messages.values(), *sources.subagent_messages.values()), TokenUsage()
    )
    subagents = sum(sources.subagent_messages.values(), TokenUsage())
    late = sources.assistant_after_last_result and metrics.has_result
    # (condition, what is missing when it holds); the first that holds is reported
    gaps: list[tuple[bool, str]] = []
    if sources.model_usage is not None:
        metrics.tokens_source = TOKENS_MODEL_USAGE
        metrics.tokens = sources.model_usage.at_least(messages)
        gaps.append((late, "requests after the last result event are not in its modelUsage"))
    elif metrics.has_result:
        metrics.tokens_source = TOKENS_RESULTS
        metrics.tokens = (sources.results + subagents).at_least(messages)
        gaps.append((late, "requests after the last result event are in no result event"))
        gaps.append((bool(sources.subagent_messages),
                     "no modelUsage, and subagents' output tokens are not final"))
    elif sources.main_messages or sources.subagent_messages:
        metrics.tokens_source = TOKENS_MESSAGES
        metrics.tokens = messages
        gaps.append((True, "no result event: counted from the requests seen, output not final"))
    else:
        gaps.append((True, "no result event: no token counts"))
    gaps.append((sources.unreadable_usage,
                 "a usage field in the stream was not a number (counted as 0)"))
    gaps.append((bool(sources.unfinished_tasks),
                 "a background subagent had not finished when the stream ended"))
    metrics.tokens_gap = next((text for holds, text in gaps if holds), None)
    metrics.tokens_complete = metrics.tokens_gap is None


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


def _read_result(event: dict, metrics: IterationMetrics, sources: _TokenSources) -> None:
    # With a background subagent one `claude -p` prints a result event per turn loop
    # (result_index 0, 1, ...): turns, durations and usage add up; cost and modelUsage
    # are running totals, so the last one counts.
    metrics.result_count += 1
    sources.assistant_after_last_result = False
    sources.results += TokenUsage.from_usage(event.get("usage"))
    model_usage = TokenUsage.from_model_usage(event.get("modelUsage"))
    sources.unreadable_usage |= not _readable(event.get("usage"), USAGE_KEYS)
    raw_model_usage = event.get("modelUsage")
    sources.unreadable_usage |= raw_model_usage is not None and not (
        isinstance(raw_model_usage, dict)
        and all(_readable(entry, MODEL_USAGE_KEYS) for entry in raw_model_usage.values()))
    sources.model_usage = model_usage  # only the last result event's counts
    subtype = event.get("subtype")
    if isinstance(subtype, str) and not (metrics.result_is_error and subtype == "success"):
        metrics.result_subtype = subtype
    metrics.result_is_error = metrics.result_is_error or event.get("is_error") is True
    metrics.num_turns = _add(metrics.num_turns, _int_or_none(event.get("num_turns")))
    metrics.duration_ms = _add(metrics.duration_ms, _int_or_none(event.get("duration_ms")))
    cost = event.get("total_cost_usd")
    if isinstance(cost, (int, float)) and not isinstance(cost, bool) and math.isfinite(cost):
        metrics.cost_usd = float(cost)


def _add(total: int | None, value: int | None) -> int | None:
    if value is None:
        return total
    return value if total is None else total + value


USAGE_KEYS = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens",
              "output_tokens")
MODEL_USAGE_KEYS = ("inputTokens", "cacheCreationInputTokens", "cacheReadInputTokens",
                    "outputTokens")


def _readable(usage: object, keys: tuple[str, ...]) -> bool:
    """Whether a usage object is absent or all its token fields that are there are ints."""
    if usage is None:
        return True
    if not isinstance(usage, dict):
        return False
    return all(usage[key] is None or _int_or_none(usage[key]) is not None
               for key in keys if key in usage)


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
