"""Plain-language findings: what a run's numbers mean for moving work to Ollama."""

from __future__ import annotations

from remote_ollama.analytics.run_metrics import RunReport
from remote_ollama.analytics.tables import fmt_count, fmt_pct, fmt_ratio, fmt_seconds, plural

# Above this cache hit rate, losing the prompt cache multiplies the prefill work a lot.
HIGH_CACHE_HIT_RATE = 0.60
# From this many shallow operations per deep one, a run counts as exploration-heavy.
EXPLORATION_RATIO = 3.0


def findings(report: RunReport) -> list[str]:
    """One sentence or two per topic; empty when nothing was measured."""
    if not report.measured_count:
        return ["Nothing was measured: no iteration file could be read."]
    return [
        _subagents(report),
        _cache(report),
        _depth(report),
        *_context(report),
        _pace(report),
        *_damage(report),
    ]


def _subagents(report: RunReport) -> str:
    average = report.average(report.total_spawns)
    inside = sum(report.total_tools(subagent=True).values())
    text = (
        f"Subagents: {fmt_count(average)} Task {_spawns(average)} per iteration on average"
        f" ({report.total_spawns:,} in total), making"
        f" {plural(inside, 'tool call')} of their own."
    )
    if report.total_spawns:
        text += (
            " Each subagent starts a fresh context; on Ollama it runs on"
            " CLAUDE_CODE_SUBAGENT_MODEL and queues behind the main loop unless"
            " OLLAMA_NUM_PARALLEL allows parallel requests."
        )
    else:
        text += " This workload does not depend on subagents."
    return text


def _spawns(average: float | None) -> str:
    return "spawn" if average == 1 else "spawns"


def _cache(report: RunReport) -> str:
    tokens = report.total_tokens
    rate = tokens.cache_hit_rate
    if rate is None:
        return (
            "Prompt cache: no cache tokens were reported (a backend without prompt caching,"
            " such as Ollama, reports none), so there is no cache saving to lose."
        )
    fresh = tokens.input + tokens.cache_creation
    per_iteration = _at_least(report) + fmt_count(round(report.average(tokens.context)))
    if rate > HIGH_CACHE_HIT_RATE:
        multiple = f"{tokens.context / fresh:.1f}x" if fresh else "far more than"
        return (
            f"Prompt cache: hit rate {fmt_pct(rate)}, above {HIGH_CACHE_HIT_RATE:.0%}: most of"
            " the context was re-read from Anthropic's prompt cache. A backend without prompt"
            f" caching (Ollama's /v1/messages) processes all of it as new input, about"
            f" {per_iteration} tokens per iteration, {multiple} the uncached input"
            " (input + cache creation), so expect slower turns on the local server."
        )
    return (
        f"Prompt cache: hit rate {fmt_pct(rate)}, at most {HIGH_CACHE_HIT_RATE:.0%}: the cache"
        " saves comparatively little here, so a backend without prompt caching loses"
        f" little; about {per_iteration} input tokens per iteration either way."
    )


def _depth(report: RunReport) -> str:
    shallow, deep = report.total_shallow, report.total_deep
    text = (
        f"Depth: {shallow} shallow operations (Read+Grep+Glob) against {deep} deep ones"
        f" (Edit+Write), ratio {fmt_ratio(shallow, deep)}."
    )
    if not shallow and not deep:
        return text + " No file was read, searched or edited through these tools."
    if not deep:
        expected = " (as expected in plan mode)" if report.meta.get("mode") == "plan" else ""
        return text + f" No file was edited: a read-only workload{expected}."
    if shallow / deep >= EXPLORATION_RATIO:
        return text + (
            " Exploration dominates: the local model must cope with long tool results"
            " more than with writing code."
        )
    return text + " Edits are frequent: the local model's code-writing quality matters most."


def _context(report: RunReport) -> list[str]:
    if not report.peak_context:
        return []
    return [
        f"Context: the largest single request carried {fmt_count(report.peak_context)} tokens."
        " The Ollama server's context window (OLLAMA_CONTEXT_LENGTH, given to Claude Code as"
        " CLAUDE_CODE_MAX_CONTEXT_TOKENS) must be at least that, or Claude Code compacts"
        " or fails."
    ]


def _at_least(report: RunReport) -> str:
    """Said before a token figure that is only a lower bound (see Problems)."""
    return "" if report.tokens_complete else "at least "


def _pace(report: RunReport) -> str:
    output = report.average(report.total_tokens.output)
    wall = report.average(report.total_wall_time_s)
    return (
        f"Pace: {fmt_seconds(wall)} s wall time and {_at_least(report)}{fmt_count(output)}"
        " output tokens per"
        " iteration on average; compare with a run on the other backend"
        " (`remote-ollama analytics compare`)."
    )


def _damage(report: RunReport) -> list[str]:
    damage = (
        (report.bad_line_count, "malformed line", "malformed lines"),
        (report.missing_result_count, "iteration without a result event",
         "iterations without a result event"),
        (report.incomplete_tokens_count, "iteration whose token count is incomplete",
         "iterations whose token counts are incomplete"),
        (report.missing_file_count, "missing iteration file", "missing iteration files"),
    )
    found = [plural(count, one, many) for count, one, many in damage if count]
    if not found:
        return []
    return [
        "Caution: " + ", ".join(found) + "; the numbers cover only what was recorded"
        " (see Problems)."
    ]
