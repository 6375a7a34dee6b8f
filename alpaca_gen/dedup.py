"""``alpaca-gen dedup``: the generation filter applied to an existing data set."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from .errors import DataError, UsageError
from .records import check_output_path, encode_records, format_for, read_objects, write_atomic, write_records
from .seeds import load_seed_tasks, seeds_for_lang
from .similarity import NearDuplicateIndex
from .text import detect_lang, plural
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


def dedup_records(records: list[dict], index: NearDuplicateIndex, field: str = "instruction") -> tuple[list[dict], int]:
    kept = [r for r in records if not index.offer(r[field]).duplicate]
    return kept, len(records) - len(kept)


def dedup_explained(records: list[dict], index: NearDuplicateIndex, pool: list[dict],
                    field: str = "instruction") -> tuple[list[dict], list[dict]]:
    """``dedup_records``, also saying why each record went: (kept, one line per dropped record).

    ``pool`` describes the entries already in the index (the seeds), one dict each; a
    line names the dropped record's ``index`` in ``records``, the pool entry it scores
    highest against (``duplicate_of``: a kept record with its ``index`` in the input and
    ``output_index`` in the output, or a seed with its ``seed_id``) and that ROUGE-L F1,
    which is above the threshold (the first entry above it dropped the record; the one
    shown is the closest, the earliest among equals)."""
    pool = list(pool)
    kept: list[dict] = []
    lines: list[dict] = []
    for i, record in enumerate(records):
        text = record[field]
        if not index.offer(text).duplicate:
            pool.append({"index": i, "output_index": len(kept), "record": record})
            kept.append(record)
            continue
        scores = index.scores(text)
        best = int(np.argmax(scores))
        lines.append({"index": i, "record": record, "duplicate_of": pool[best], "rouge_l_f1": float(scores[best])})
    return kept, lines


def dedup_file(input_path: str, output_path: str, *, seed_tasks_path: str | None = None, lang: str = "en",
               threshold: float = 0.7, tokenizer: str | None = None, field: str = "instruction",
               dropped: str | None = None, out=None) -> dict:
    """Write the kept records of ``input_path`` to ``output_path``; with ``dropped``, also
    a JSONL file with one line per dropped record (:func:`dedup_explained`)."""
    out = out or sys.stdout
    if lang not in ("en", "ko"):
        raise UsageError(f"--lang must be en or ko (got {lang!r})")
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
                "ROUGE tokenizer deletes Hangul and would find no duplicates; pass --lang ko"
            )
    index = NearDuplicateIndex(tokenizer_for(lang, tokenizer), threshold, similarity_stats=False)
    seeds: list[dict] = []
    if seed_tasks_path:
        for task in seeds_for_lang(load_seed_tasks(seed_tasks_path), lang, cross_lang=True, path=seed_tasks_path):
            index.add(task.instruction)
            seeds.append({"seed_id": task.id, "instruction": task.instruction})
    if dropped:
        kept, lines = dedup_explained(records, index, seeds, field)
        write_atomic(dropped, encode_records(lines, "jsonl"))
    else:
        kept, _ = dedup_records(records, index, field)
    write_records(output_path, kept)
    count = len(records) - len(kept)
    result = {"input": len(records), "kept": len(kept), "dropped": count, "seed_instructions": len(seeds),
              "output": str(output_path)}
    where = ""
    if dropped:
        result["dropped_list"] = str(dropped)
        where = f"; the {count} dropped, with what each duplicates, -> {dropped}"
    print(f"alpaca-gen dedup: kept {len(kept)} of {len(records)} records, dropped {plural(count, 'near duplicate')} "
          f"(ROUGE-L F1 > {threshold}, {index.tokenizer.name} tokens, {len(seeds)} seed instructions in the pool) "
          f"-> {output_path}{where}", file=out)
    return result
