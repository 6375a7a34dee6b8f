"""``alpaca-gen dedup``: the generation filter applied to an existing data set.

With ``--lang auto`` (the default) each record is compared with the earlier ones of its own
language, by that language's tokenizer, so a file of English and Korean records loses
its Korean near duplicates as well as its English ones."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from .errors import DataError, UsageError
from .records import check_output_path, encode_records, format_for, read_objects, write_atomic, write_records
from .seeds import LANGS, load_seed_tasks, seeds_for_lang
from .similarity import NearDuplicateIndex
from .text import detect_lang, hangul_share, plural
from .tokenizers import tokenizer_for


def read_records(path: str | Path, field: str = "instruction") -> list[dict]:
    """Records from JSONL or a JSON list; each must be an object with a string ``field``."""
    raw = read_objects(path)
    for obj, where in zip(raw.objects, raw.locations):
        if not isinstance(obj, dict) or not isinstance(obj.get(field), str):
            raise DataError(f"{where}: not an object with a string {field!r} field")
    if not raw.objects:
        raise DataError(f"{path}: no records")
    return raw.objects


DEDUP_LANGS = ("auto", "en", "ko")


def dedup_lang(record: dict, text: str, lang: str) -> str:
    """The pool ``record`` is compared in: the --lang asked for, else the record's own ``lang``,
    else its text's script (Hangul anywhere in a text of mixed script means Korean tokens,
    since the English tokenizer deletes Hangul)."""
    if lang != "auto":
        return lang
    if record.get("lang") in LANGS:
        return record["lang"]
    # Hangul first: "Python에서 list comprehension을 …" is mostly Latin letters, and the English
    # tokenizer would delete its Korean words; the Korean one keeps the Latin ones.
    return "ko" if hangul_share(text) > 0 else (detect_lang(text) or "en")


class LanguagePools:
    """One near-duplicate index per language, each starting with its seeds.

    Records of different languages never duplicate one another under ROUGE-L (they share
    no tokens), so each language is compared only with itself, by its own tokenizer."""

    def __init__(self, lang: str, threshold: float, tokenizer: str | None):
        self.lang, self.threshold, self.tokenizer = lang, threshold, tokenizer
        self.indexes: dict[str, NearDuplicateIndex] = {}
        self.pools: dict[str, list[dict]] = {}  # per language: what its index holds, one dict each
        self.counts: dict[str, dict[str, int]] = {}  # per language: records in, kept, dropped

    def index(self, lang: str) -> NearDuplicateIndex:
        if lang not in self.indexes:
            self.indexes[lang] = NearDuplicateIndex(tokenizer_for(lang, self.tokenizer), self.threshold,
                                                    similarity_stats=False)
            self.pools[lang] = []
            self.counts[lang] = {"input": 0, "kept": 0, "dropped": 0}
        return self.indexes[lang]

    def add_seeds(self, tasks) -> int:
        added = 0
        for task in tasks:
            # By script under auto: the seed loader calls a task without a lang field English.
            lang = dedup_lang({}, task.instruction, self.lang)
            self.index(lang).add(task.instruction)
            self.pools[lang].append({"seed_id": task.id, "instruction": task.instruction})
            added += 1
        return added

    def tokens_text(self) -> str:
        """Which tokenizer each language's records were compared with."""
        if len(self.indexes) == 1 and self.lang != "auto":
            return f"{next(iter(self.indexes.values())).tokenizer.name} tokens"
        return "; ".join(f"{lang}: {plural(self.counts[lang]['input'], 'record')}, {index.tokenizer.name} tokens"
                         for lang, index in sorted(self.indexes.items()) if self.counts[lang]["input"]) or "no records"


def dedup_records(records: list[dict], pools: LanguagePools, field: str = "instruction", *,
                  explain: bool = False) -> tuple[list[dict], list[dict]]:
    """The records not near an earlier kept record (or seed) of their language, in input order,
    and, with ``explain``, one line per dropped record saying why it went.

    A line names the dropped record's ``index`` in ``records``, the pool entry it scores
    highest against (``duplicate_of``: a kept record with its ``index`` in the input and
    ``output_index`` in the output, or a seed with its ``seed_id``) and that ROUGE-L F1,
    which is above the threshold (the first entry above it dropped the record; the one
    shown is the closest, the earliest among equals)."""
    kept: list[dict] = []
    lines: list[dict] = []
    for i, record in enumerate(records):
        text = record[field]
        lang = dedup_lang(record, text, pools.lang)
        index = pools.index(lang)
        counts = pools.counts[lang]
        counts["input"] += 1
        if not index.offer(text).duplicate:
            pools.pools[lang].append({"index": i, "output_index": len(kept), "record": record})
            kept.append(record)
            counts["kept"] += 1
            continue
        counts["dropped"] += 1
        if explain:
            scores = index.scores(text)
            best = int(np.argmax(scores))
            lines.append({"index": i, "record": record, "duplicate_of": pools.pools[lang][best],
                          "rouge_l_f1": float(scores[best])})
    return kept, lines


def dedup_file(input_path: str, output_path: str, *, seed_tasks_path: str | None = None, lang: str = "auto",
               threshold: float = 0.7, tokenizer: str | None = None, field: str = "instruction",
               dropped: str | None = None, out=None) -> dict:
    """Write the kept records of ``input_path`` to ``output_path``; with ``dropped``, also
    a JSONL file with one line per dropped record (:func:`dedup_records`)."""
    out = out or sys.stdout
    if lang not in DEDUP_LANGS:
        raise UsageError(f"--lang must be auto, en or ko (got {lang!r})")
    if not isinstance(threshold, (int, float)) or isinstance(threshold, bool) or not 0 <= threshold <= 1:
        raise UsageError(f"--similarity_threshold must be a number from 0 to 1, got {threshold!r}")
    format_for(output_path)
    check_output_path(output_path, input_path)
    if dropped:
        check_output_path(dropped, input_path, flag="--dropped")
        if Path(dropped).resolve() == Path(output_path).resolve():
            raise UsageError(f"--dropped must differ from --output ({output_path}): one file gets the kept records, "
                             "the other the dropped ones")
    records = read_records(input_path, field)
    if lang == "en" and tokenizer is None:
        sample = records[:200]
        korean = sum(1 for r in sample if detect_lang(r[field]) == "ko")
        if korean * 2 > len(sample):
            raise UsageError(
                f"{input_path} looks Korean ({korean} of the first {len(sample)} records), but --lang is en, whose "
                "ROUGE tokenizer deletes Hangul and would find no duplicates; pass --lang ko (or auto)"
            )
    pools = LanguagePools(lang, threshold, tokenizer)
    if lang != "auto":
        pools.index(lang)
    seed_count = 0
    if seed_tasks_path:
        tasks = load_seed_tasks(seed_tasks_path)
        seed_count = pools.add_seeds(tasks if lang == "auto" else
                                     seeds_for_lang(tasks, lang, cross_lang=True, path=seed_tasks_path))
    kept, lines = dedup_records(records, pools, field, explain=bool(dropped))
    if dropped:
        write_atomic(dropped, encode_records(lines, "jsonl"))
    write_records(output_path, kept)
    count = len(records) - len(kept)
    result = {"input": len(records), "kept": len(kept), "dropped": count, "seed_instructions": seed_count,
              "output": str(output_path),
              "languages": {k: dict(v) for k, v in sorted(pools.counts.items()) if v["input"]}}
    where = ""
    if dropped:
        result["dropped_list"] = str(dropped)
        where = f"; the {count} dropped, with what each duplicates, -> {dropped}"
    print(f"alpaca-gen dedup: kept {len(kept)} of {len(records)} records, dropped {plural(count, 'near duplicate')} "
          f"(ROUGE-L F1 > {threshold}; {pools.tokens_text()}; {plural(seed_count, 'seed instruction')} in the pool) "
          f"-> {output_path}{where}", file=out)
    return result
