"""``eval answer``: a model answers an eval set, through ``respond``'s job.

The items are written once as Alpaca records (with their id, lang and app) to the
answers file's state folder, and answered like any records: the request layer,
``--local``, ``--batch``, resume, the quality rules (a failed answer is kept, with its
reason, since the eval compares what the model said). By default no system message
is sent: the model gets the task as a user would type it.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

from ..config import EvalAnswerOptions, RequestOptions, RespondOptions
from ..errors import UsageError
from ..jobs import state_dir_for
from ..records import write_atomic
from ..respond.run import Responder
from .sets import load_eval_set


class EvalAnswerer(Responder):
    COMMAND = "eval-answer"
    ENGLISH_ONLY = "--lang en"

    def locations(self) -> list[str]:
        # Messages name the eval item, not the items file kept in the state folder.
        return [f"item {record.source.get('id')}" for record in self.data.records]


def first_of_each_language(items: list, limit: int) -> list:
    """The first ``limit`` items of each language, in the set's order."""
    seen: dict[str, int] = {}
    out = []
    for item in items:
        seen[item.lang] = seen.get(item.lang, 0) + 1
        if seen[item.lang] <= limit:
            out.append(item)
    return out


def answer_eval_set(options: EvalAnswerOptions, **kw) -> dict:
    out = Path(options.output)
    if out.suffix.lower() != ".jsonl":
        raise UsageError(f"--output {out}: answers are JSONL; name the file .jsonl")
    items = load_eval_set(options.eval_set, lang=options.lang)
    if options.limit is not None:
        items = first_of_each_language(items, options.limit)
    state = state_dir_for(out, EvalAnswerer.COMMAND)
    items_file = state / "items.jsonl"
    data = "".join(json.dumps(item.as_record(), ensure_ascii=False) + "\n" for item in items).encode("utf-8")
    if not out.parent.is_dir():
        raise UsageError(f"--output {out}: {out.parent} does not exist")
    if options.dry_run and not (items_file.exists() and items_file.read_bytes() == data):
        # A dry run writes nothing beside the output: its items live only while it prints.
        with tempfile.TemporaryDirectory(prefix="alpaca-gen-eval-") as folder:
            items_file = Path(folder) / "items.jsonl"
            items_file.write_bytes(data)
            return _answer(options, items_file, **kw)
    state.mkdir(parents=True, exist_ok=True)
    if not items_file.exists() or items_file.read_bytes() != data:
        write_atomic(items_file, data)  # a changed eval set is then refused by the resume check
    return _answer(options, items_file, **kw)


def _answer(options: EvalAnswerOptions, items_file: Path, **kw) -> dict:
    """Answer the items in ``items_file`` through respond's job, into ``options.output``."""
    out = Path(options.output)
    values = {name: getattr(options, name) for name in RequestOptions.flag_names()}
    respond_options = RespondOptions.from_flags(
        **values, input=str(items_file), output=str(out), lang="auto",
        system=options.system if options.system is not None else "", prompt_path=options.prompt_path,
        drop_previous=True, dry_run=options.dry_run)
    respond_options.given = options.given
    return EvalAnswerer(respond_options, **kw).run()
