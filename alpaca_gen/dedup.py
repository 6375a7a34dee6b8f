"""``alpaca-gen dedup``: the generation filter applied to an existing data set."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from .errors import DataError, NoInputError, UsageError
from .seeds import load_seed_tasks, seeds_for_lang
from .similarity import NearDuplicateIndex
from .text import detect_lang
from .tokenizers import tokenizer_for


def read_records(path: str | Path, field: str = "instruction") -> list[dict]:
    """Records from JSONL or a JSON list; each must be an object with a string ``field``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise NoInputError(f"input file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise NoInputError(f"cannot read {path}: {exc}") from None
    stripped = text.lstrip()
    records: list = []
    if stripped.startswith("["):
        try:
            records = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
        where = lambda i: f"{path}: element {i}"  # noqa: E731
    else:
        lines = []
        for number, line in enumerate(text.split("\n"), start=1):  # not splitlines(): U+2028 may sit inside a JSON string
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
            lines.append(number)
        where = lambda i: f"{path}:{lines[i]}"  # noqa: E731
    for i, record in enumerate(records):
        if not isinstance(record, dict) or not isinstance(record.get(field), str):
            raise DataError(f"{where(i)}: not an object with a string {field!r} field")
    if not records:
        raise DataError(f"{path}: no records")
    return records


def write_records(path: str | Path, records: list[dict]) -> None:
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        if path.suffix == ".jsonl":
            for record in records:
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            json.dump(records, f, ensure_ascii=False, indent=4)
    os.replace(tmp, path)


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
    if Path(output_path).suffix not in (".json", ".jsonl"):
        raise UsageError(f"--output must end in .json or .jsonl (got {output_path})")
    if Path(output_path).resolve() == Path(input_path).resolve():
        raise UsageError("--output must differ from the input file, which is never modified")
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
