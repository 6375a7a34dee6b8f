"""Eval sets: the items every model answers, and the answers files they produce.

An eval set is JSONL (or a JSON list) in Self-Instruct's user-oriented schema
(``id``, ``motivation_app``, ``instruction``, ``instances[0].input``), or plain
Alpaca records (then the id is the position). ``eval_set.jsonl``, shipped with
alpaca-gen, holds 100 English and 100 Korean items written for this project.
An item's language is its ``lang`` field, else its script.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..check import record_lang
from ..errors import DataError, UsageError
from ..records import Record, read_objects
from ..resources import data_path

EVAL_LANGS = ("all", "en", "ko")


@dataclass(frozen=True)
class EvalItem:
    id: str
    lang: str
    app: str
    instruction: str
    input: str

    def as_record(self) -> dict:
        """The item as an Alpaca record (what ``respond`` answers)."""
        return {"id": self.id, "lang": self.lang, "motivation_app": self.app, "instruction": self.instruction,
                "input": self.input, "output": ""}


def default_eval_set() -> Path:
    return data_path("eval_set.jsonl")


def load_eval_set(path: str | Path | None = None, *, lang: str = "all") -> list[EvalItem]:
    path = Path(path) if path else default_eval_set()
    raw = read_objects(path)
    items, seen = [], set()
    for position, (obj, where) in enumerate(zip(raw.objects, raw.locations)):
        try:
            record = Record.from_dict(obj)
        except ValueError as exc:
            raise DataError(f"{where}: {exc}; an eval item has an instruction (and instances[0].input or input)") from None
        item_id = str(obj.get("id", position)) if isinstance(obj, dict) else str(position)
        if item_id in seen:
            raise DataError(f"{where}: the id {item_id!r} is used twice")
        seen.add(item_id)
        code = record_lang(record, "auto")
        app = obj.get("motivation_app") if isinstance(obj.get("motivation_app"), str) else ""
        items.append(EvalItem(item_id, code if code in ("en", "ko") else "other", app, record.instruction, record.input))
    if lang != "all":
        items = [item for item in items if item.lang == lang]
    if not items:
        raise UsageError(f"{path}: no {'' if lang == 'all' else lang + ' '}items")
    return items
