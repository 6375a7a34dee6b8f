"""The funnel: what each stage received, passed on, and dropped by reason.

Records flow one way through the stages of a run::

    completions → parse → fields → quality → similarity → target

``completions`` counts model answers (one per prompt); from ``parse`` on the unit is
a task. Each stage counts what enters it when it enters, so the identity

    entered = passed + sum(dropped)

is a check, not a definition: a task that entered and was neither passed on nor
dropped shows as a broken identity. From ``parse`` on, a stage's ``entered`` also
equals the previous stage's ``passed``. ``fixed`` counts records a stage changed and
passed on (a ``<noinput>`` made empty, an output cut at a leak): they are in
``passed``, not in ``dropped``.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import ClassVar

STAGES = ("completions", "parse", "fields", "quality", "similarity", "target")
#: Stages whose unit is a task, so each one's ``entered`` is the previous one's ``passed``.
TASK_STAGES = STAGES[1:]
#: What each stage's output is called in summaries.
PASSED_AS = {
    "completions": "with tasks", "parse": "tasks", "fields": "passed", "quality": "passed",
    "similarity": "new", "target": "kept",
}


@dataclass
class Stage:
    name: str
    entered: int = 0
    passed: int = 0
    dropped: Counter = field(default_factory=Counter)
    fixed: Counter = field(default_factory=Counter)

    def drop(self, reason: str, n: int = 1) -> None:
        self.dropped[reason] += n

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())

    def as_dict(self) -> dict:
        out = {"stage": self.name, "in": self.entered, "out": self.passed,
               "dropped": dict(sorted(self.dropped.items(), key=lambda kv: (-kv[1], kv[0])))}
        if self.fixed:
            out["fixed"] = dict(sorted(self.fixed.items(), key=lambda kv: (-kv[1], kv[0])))
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "Stage":
        def counter(value) -> Counter:
            return Counter({str(k): int(v) for k, v in (value or {}).items() if isinstance(v, int)})

        return cls(str(data["stage"]), int(data.get("in", 0)), int(data.get("out", 0)),
                   counter(data.get("dropped")), counter(data.get("fixed")))


@dataclass
class Funnel:
    """The funnel of a ``generate`` run. Another command with other stages subclasses it
    and names its own (``respond``: :class:`alpaca_gen.respond.funnel.RespondFunnel`)."""

    #: The stages in order; each ``entered`` of CHAINED[i + 1] is CHAINED[i]'s ``passed``.
    NAMES: ClassVar[tuple[str, ...]] = STAGES
    CHAINED: ClassVar[tuple[str, ...]] = TASK_STAGES
    PASSED_AS: ClassVar[dict[str, str]] = PASSED_AS
    #: The stage whose ``passed`` is what the run kept; the one whose ``passed`` is its candidates.
    KEPT: ClassVar[str] = "target"
    CANDIDATES: ClassVar[str] = "parse"
    #: What the summary calls a drop.
    DROPPED_AS: ClassVar[str] = "dropped"

    stages: dict[str, Stage] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in self.NAMES:
            self.stages.setdefault(name, Stage(name))

    def __getitem__(self, name: str) -> Stage:
        return self.stages[name]

    @property
    def kept(self) -> int:
        return self.stages[self.KEPT].passed

    @property
    def candidates(self) -> int:
        """Tasks parsed out of completions (generate); what reached the rules (others)."""
        return self.stages[self.CANDIDATES].passed

    def dropped(self) -> Counter:
        """Every drop of the run by reason, whatever the stage."""
        total = Counter()
        for stage in self.stages.values():
            total.update(stage.dropped)
        return total

    def problems(self) -> list[str]:
        """Where the counts do not add up (empty when they do)."""
        found = []
        for stage in self.stages.values():
            if stage.entered != stage.passed + stage.dropped_total:
                found.append(f"{stage.name}: in {stage.entered} != out {stage.passed} + dropped {stage.dropped_total}")
        for before, after in zip(self.CHAINED, self.CHAINED[1:]):
            if self.stages[after].entered != self.stages[before].passed:
                found.append(f"{after}: in {self.stages[after].entered} != {before} out {self.stages[before].passed}")
        return found

    def merged(self, other: "Funnel") -> "Funnel":
        total = type(self)()
        for name in self.NAMES:
            a, b, t = self.stages[name], other.stages[name], total.stages[name]
            t.entered = a.entered + b.entered
            t.passed = a.passed + b.passed
            t.dropped = a.dropped + b.dropped
            t.fixed = a.fixed + b.fixed
        return total

    def as_list(self) -> list[dict]:
        return [self.stages[name].as_dict() for name in self.NAMES]

    @classmethod
    def from_list(cls, data) -> "Funnel":
        funnel = cls()
        for item in data or []:
            if isinstance(item, dict) and item.get("stage") in funnel.stages:
                funnel.stages[item["stage"]] = Stage.from_dict(item)
        return funnel

    def lines(self) -> list[str]:
        """One line per stage that saw anything: ``parse 410 → tasks 400; dropped 10 (truncated 8, malformed 2)``."""
        out = []
        for name in self.NAMES:
            stage = self.stages[name]
            if not stage.entered:
                continue
            line = f"{name} {stage.entered} → {self.PASSED_AS[name]} {stage.passed}"
            if stage.dropped:
                reasons = ", ".join(f"{k} {v}" for k, v in sorted(stage.dropped.items(), key=lambda kv: (-kv[1], kv[0])))
                line += f"; {self.DROPPED_AS} {stage.dropped_total} ({reasons})"
            if stage.fixed:
                fixes = ", ".join(f"{k} {v}" for k, v in sorted(stage.fixed.items(), key=lambda kv: (-kv[1], kv[0])))
                line += f"; fixed {sum(stage.fixed.values())} ({fixes})"
            out.append(line)
        return out
