"""``alpaca-gen dedup``: the generation filter applied to an existing data set."""
from __future__ import annotations

import sys
from pathlib import Path

from .errors import DataError, UsageError
from .records import check_output_path, format_for, read_objects, write_records
from .seeds import load_seed_tasks, seeds_for_lang
from .similarity import NearDuplicateIndex
from .text import detect_lang
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


def dedup_file(input_path: str, output_path: str, *, seed_tasks_path: str | None = None, lang: str = "en",
               threshold: float = 0.7, tokenizer: str | None = None, field: str = "instruction", out=None) -> dict:
    out = out or sys.stdout
    if lang not in ("en", "ko"):
        raise UsageError(f"--lang must be en or ko (got {lang!r})")
    if not isinstance(threshold, (int, float)) or isinstance(threshold, bool) or not 0 <= threshold <= 1:
        raise UsageError(f"--similarity_threshold must be a number from 0 to 1, got {threshold!r}")
    format_for(output_path)
    check_output_path(output_path, input_path)
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
    seeds = 0
    if seed_tasks_path:
        for task in seeds_for_lang(load_seed_tasks(seed_tasks_path), lang, cross_lang=True, path=seed_tasks_path):
            index.add(task.instruction)
            seeds += 1
    kept, dropped = dedup_records(records, index, field)
    write_records(output_path, kept)
    result = {"input": len(records), "kept": len(kept), "dropped": dropped, "seed_instructions": seeds, "output": str(output_path)}
    print(f"alpaca-gen dedup: kept {len(kept)} of {len(records)} records, dropped {dropped} near duplicates "
          f"(ROUGE-L F1 > {threshold}, {index.tokenizer.name} tokens, {seeds} seed instructions in the pool) -> {output_path}",
          file=out)
    return result
