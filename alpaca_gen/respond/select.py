"""Which records ``respond`` answers: all, those a selector names (--where), or those the
quality rules flag on their output (--only_flagged). The rest go to OUT unchanged.

A selector is conditions joined by commas, all of which must hold::

    lang=ko               the record's language (its lang, provenance, else its script)
    output=               an empty field (instruction, input, output)
    output!=              a field that is not empty
    instruction~번역       a field containing a text (case-insensitive)
    instruction!~translate  a field not containing it
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import UsageError
from ..gate import RecordGate
from ..records import Record

FIELDS = ("instruction", "input", "output", "lang")
_CONDITION = re.compile(r"\s*(\w+)\s*(!=|!~|=|~)(.*)", re.S)


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: str

    def holds(self, record: Record, lang: str) -> bool:
        text = lang if self.field == "lang" else getattr(record, self.field)
        if self.op in ("=", "!="):
            equal = text.strip() == self.value.strip()
            return equal if self.op == "=" else not equal
        found = self.value.casefold() in text.casefold()
        return found if self.op == "~" else not found


def parse_where(text: str) -> list[Condition]:
    conditions = []
    for part in text.split(","):
        if not part.strip():
            continue
        match = _CONDITION.fullmatch(part)
        if match is None:
            raise UsageError(f"--where: cannot read {part.strip()!r}; write FIELD=VALUE, FIELD!=VALUE, FIELD~TEXT or "
                             f"FIELD!~TEXT, joined by commas (fields: {', '.join(FIELDS)})")
        name, op, value = match.group(1), match.group(2), match.group(3)
        if name not in FIELDS:
            raise UsageError(f"--where: unknown field {name!r}; the fields are {', '.join(FIELDS)}")
        if name == "lang" and op in ("=", "!=") and value.strip() not in ("en", "ko", "other"):
            raise UsageError(f"--where: lang is en, ko or other (got {value.strip()!r})")
        conditions.append(Condition(name, op, value))
    if not conditions:
        raise UsageError("--where is empty; e.g. --where lang=ko or --where output=")
    return conditions


def flagged_on_output(record: Record, gate: RecordGate) -> bool:
    """A quality rule drops or fixes the record for its output: the cases a new answer can repair
    (a record flagged for its instruction or input alone keeps that flag whatever the answer)."""
    verdict = gate.judge(record, every_reason=True)
    return any(f.field == "output" for _, f in verdict.drops) or any(f.field == "output" for f in verdict.fixes)


def select(records: list[Record], langs: list[str], *, where: list[Condition] | None, only_flagged: bool,
           gates: dict[str, RecordGate]) -> list[int]:
    """The positions to answer, in input order."""
    chosen = []
    for position, (record, lang) in enumerate(zip(records, langs)):
        if where and not all(c.holds(record, lang) for c in where):
            continue
        if only_flagged and not flagged_on_output(record, gates[lang]):
            continue
        chosen.append(position)
    return chosen
