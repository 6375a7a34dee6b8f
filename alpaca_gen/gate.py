"""The record gate: field rules, then quality rules, for one language.

``generate`` and ``respond`` pass every new record through it; ``check`` runs it
over a whole data set. It reports which stage dropped a record (``fields``: the
instruction rules of :mod:`alpaca_gen.filters`; ``quality``: the rules of
:mod:`alpaca_gen.quality`) so a run's funnel can count each stage on its own.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import prompts as prompt_mod
from .filters import RULES, drop_reason
from .quality import Finding, QualityContext, judge
from .records import Record


@dataclass
class GateResult:
    record: Record  # with the quality fixes applied
    #: (stage, finding) of each rule that drops the record: one unless every reason was asked for.
    drops: list[tuple[str, Finding]] = field(default_factory=list)
    fixes: list[Finding] = field(default_factory=list)

    @property
    def kept(self) -> bool:
        return not self.drops


class RecordGate:
    def __init__(self, lang: str, prompt_texts: list[str] | None = None):
        self.lang = lang
        texts = prompt_mod.shipped_prompt_texts() if prompt_texts is None else prompt_texts
        self.context = QualityContext.for_prompts(lang, texts)

    def judge(self, record: Record, *, every_reason: bool = False) -> GateResult:
        instruction = record.instruction.strip()
        if not instruction:
            return GateResult(record, [("fields", Finding("empty_instruction", "instruction", "drop"))])
        result = GateResult(record)
        # The field rules are per language; a record in another script meets the quality rules only.
        reason = None if self.lang not in RULES else drop_reason(
            record.with_fields(instruction=instruction) if instruction != record.instruction else record, self.lang)
        if reason:
            result.drops.append(("fields", Finding(reason, "instruction", "drop", record.instruction[:60])))
            if not every_reason:
                return result
        quality = judge(record, self.context, every_reason=every_reason)
        result.record = quality.record
        result.fixes = quality.fixes
        result.drops.extend(("quality", finding) for finding in quality.drops)
        return result
