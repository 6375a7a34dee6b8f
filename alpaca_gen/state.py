"""Run state and run history, as types.

* :class:`RunStats` — what a run used (requests, retries, tokens) and its funnel.
* :class:`RunState` — what the next run of an output directory resumes from:
  the next request, the sampling seed, the learned ``max_tokens``, the totals of
  every run, and the run in progress. It is versioned; :meth:`RunState.from_dict`
  reads today's version and migrates the one before it (version 1, a plain dict
  with flat counters).
* :class:`RunLog` — ``runs.jsonl`` beside regen.json, one line per run, so a data
  set resumed many times keeps every run's numbers (summary.json holds the last).
  A run killed before it could write its line is recovered from the run state.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields
from pathlib import Path

from .funnel import Funnel

STATE_VERSION = 2


@dataclass
class Usage:
    rounds: int = 0  # rounds committed
    api_calls: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    # Rounds answered (and billed) but not needed once the target was reached, calls
    # still in flight when the run stopped, and calls answered (billed, in api_calls) in
    # rounds the stop cut short.
    unused_rounds: int = 0
    abandoned_calls: int = 0
    cut_short_calls: int = 0

    def cost(self, price_in: float, price_out: float) -> float:
        return (self.prompt_tokens * price_in + self.completion_tokens * price_out) / 1e6

    def merged(self, other: "Usage") -> "Usage":
        return Usage(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(Usage)})

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(Usage)}

    @classmethod
    def from_dict(cls, data: dict | None) -> "Usage":
        data = data or {}
        return cls(**{f.name: int(data[f.name]) for f in fields(Usage) if isinstance(data.get(f.name), int)})


@dataclass
class RunStats:
    usage: Usage = field(default_factory=Usage)
    funnel: Funnel = field(default_factory=Funnel)
    #: Version-1 state counted these per completion without a stage total; kept as they were.
    legacy_completion_drops: dict = field(default_factory=dict)

    def add_usage(self, api_calls: int, retries: int, prompt_tokens: int, completion_tokens: int) -> None:
        u = self.usage
        u.api_calls += api_calls
        u.retries += retries
        u.prompt_tokens += prompt_tokens
        u.completion_tokens += completion_tokens

    def add_answered(self, result) -> None:
        """What an answered round (a :class:`~alpaca_gen.answers.RoundResult`) cost."""
        self.add_usage(result.api_calls, result.retries, result.prompt_tokens, result.completion_tokens)

    def add_unused(self, result) -> None:
        """A round answered (and billed) after the target was reached: usage only, no records."""
        self.usage.unused_rounds += 1
        self.add_answered(result)

    @property
    def kept(self) -> int:
        return self.funnel.kept

    def merged(self, other: "RunStats") -> "RunStats":
        legacy = dict(self.legacy_completion_drops)
        for key, value in other.legacy_completion_drops.items():
            legacy[key] = legacy.get(key, 0) + value
        return RunStats(self.usage.merged(other.usage), self.funnel.merged(other.funnel), legacy)

    def as_dict(self) -> dict:
        out = self.usage.as_dict()
        out["candidates"] = self.funnel.candidates
        out["kept"] = self.funnel.kept
        out["dropped"] = dict(sorted(self.funnel.dropped().items(), key=lambda kv: (-kv[1], kv[0])))
        out["funnel"] = self.funnel.as_list()
        if self.legacy_completion_drops:
            out["legacy_completion_drops"] = dict(self.legacy_completion_drops)
        return out

    @classmethod
    def from_dict(cls, data: dict | None, funnel: type[Funnel] = Funnel) -> "RunStats":
        """``funnel``: the command's funnel class (its stages)."""
        data = data or {}
        if funnel is Funnel and "funnel" not in data and ("candidates" in data or "dropped" in data):
            return _migrate_v1_totals(data)
        legacy = data.get("legacy_completion_drops") if isinstance(data.get("legacy_completion_drops"), dict) else {}
        return cls(Usage.from_dict(data), funnel.from_list(data.get("funnel")), dict(legacy))


# Where version 1's flat drop reasons belong in the funnel.
_V1_PARSE = ("truncated", "malformed", "empty_instruction", "empty_output")
_V1_COMPLETION = ("no_tasks_in_completion",)


def _migrate_v1_totals(data: dict) -> RunStats:
    """Version 1 kept one flat ``dropped`` counter; put each reason in its stage.

    Everything from ``parse`` on can be rebuilt exactly, since version 1 counted
    candidates = kept + field, similarity and target drops. Version 1 never counted
    the completions that did yield tasks, so its per-completion drops cannot be a
    stage total; they are kept beside the funnel as they were."""
    stats = RunStats(Usage.from_dict(data))
    dropped = {str(k): int(v) for k, v in (data.get("dropped") or {}).items() if isinstance(v, int)}
    candidates = int(data.get("candidates") or 0)
    kept = int(data.get("kept") or 0)
    f = stats.funnel
    for reason in _V1_PARSE:
        if dropped.get(reason):
            f["parse"].drop(reason, dropped.pop(reason))
    legacy = {reason: dropped.pop(reason) for reason in _V1_COMPLETION if reason in dropped}
    if data.get("garbled_choices"):
        legacy["garbled"] = int(data["garbled_choices"])
    f["parse"].passed = candidates
    f["parse"].entered = candidates + f["parse"].dropped_total
    near = dropped.pop("near_duplicate", 0)
    over = dropped.pop("over_target", 0)
    f["fields"].entered = candidates
    for reason, count in dropped.items():
        f["fields"].drop(reason, count)
    f["fields"].passed = candidates - f["fields"].dropped_total
    f["quality"].entered = f["quality"].passed = f["fields"].passed
    f["similarity"].entered = f["fields"].passed
    if near:
        f["similarity"].drop("near_duplicate", near)
    f["similarity"].passed = f["similarity"].entered - near
    f["target"].entered = f["similarity"].passed
    if over:
        f["target"].drop("over_target", over)
    f["target"].passed = kept
    stats.legacy_completion_drops = legacy
    return stats


@dataclass
class RunInfo:
    """The run in progress, saved with every commit so that a killed run's numbers
    still reach runs.jsonl (the next run writes its line)."""

    run_id: str
    command: str
    started: str  # ISO time, UTC
    records_before: int
    settings: dict = field(default_factory=dict)
    stats: RunStats = field(default_factory=RunStats)
    updated: str = ""

    def as_dict(self) -> dict:
        return {"run_id": self.run_id, "command": self.command, "started": self.started, "updated": self.updated,
                "records_before": self.records_before, "settings": self.settings, "stats": self.stats.as_dict()}

    @classmethod
    def from_dict(cls, data: dict, funnel: type[Funnel] = Funnel) -> "RunInfo":
        return cls(str(data["run_id"]), str(data.get("command", "generate")), str(data.get("started", "")),
                   int(data.get("records_before", 0)), dict(data.get("settings") or {}),
                   RunStats.from_dict(data.get("stats"), funnel), str(data.get("updated", "")))


@dataclass
class RunState:
    records: int = 0
    next_request: int = 0
    next_prompt: int = 0  # a chat round cut short by --max_requests resumes at this prompt
    seed: int | None = None
    lang: str | None = None
    max_tokens: int | None = None  # a smaller limit learned from a context-length error
    totals: RunStats = field(default_factory=RunStats)
    run: RunInfo | None = None
    version: int = STATE_VERSION

    def as_dict(self) -> dict:
        return {
            "version": STATE_VERSION, "records": self.records, "next_request": self.next_request,
            "next_prompt": self.next_prompt, "seed": self.seed, "lang": self.lang, "max_tokens": self.max_tokens,
            "totals": self.totals.as_dict(), "run": self.run.as_dict() if self.run else None,
        }

    @classmethod
    def from_dict(cls, data: dict, funnel: type[Funnel] = Funnel) -> "RunState":
        """Read a state of this version or version 1; raises ValueError for anything else."""
        if not isinstance(data, dict) or data.get("version") not in (1, STATE_VERSION):
            raise ValueError("not a run state this version of alpaca-gen knows")

        def whole(name: str, default: int | None = 0) -> int | None:
            value = data.get(name)
            return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else default

        run = None
        if data.get("version") == STATE_VERSION and isinstance(data.get("run"), dict):
            try:
                run = RunInfo.from_dict(data["run"], funnel)
            except (KeyError, TypeError, ValueError):
                run = None
        return cls(
            records=whole("records"), next_request=whole("next_request"), next_prompt=whole("next_prompt"),
            seed=whole("seed", None), lang=data.get("lang") if isinstance(data.get("lang"), str) else None,
            max_tokens=whole("max_tokens", None), totals=RunStats.from_dict(data.get("totals"), funnel), run=run,
        )


class RunLog:
    """``runs.jsonl``: one line per run, rewritten whole (it is small) so the file is
    complete at every instant."""

    NAME = "runs.jsonl"

    def __init__(self, directory: str | Path):
        self.path = Path(directory) / self.NAME

    def read(self) -> list[dict]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except (FileNotFoundError, UnicodeDecodeError):
            return []
        entries = []
        for line in text.split("\n"):
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                entries.append(entry)
        return entries

    def append(self, entry: dict) -> None:
        try:
            existing = self.path.read_bytes()
        except FileNotFoundError:
            existing = b""
        if existing and not existing.endswith(b"\n"):
            existing += b"\n"
        data = existing + (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
        tmp = self.path.with_name(self.NAME + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def has(self, run_id: str) -> bool:
        return any(entry.get("run_id") == run_id for entry in self.read())
