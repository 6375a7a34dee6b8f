"""Seed tasks: the self-instruct JSONL schema, read with errors that name the line.

A record is ``{"id", "name", "instruction", "instances": [{"input", "output"}],
"is_classification", "lang"}``. ``lang`` is optional and means English when
absent, so Stanford's and self-instruct's seed files load unchanged.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .errors import DataError
from .records import read_text_file
from .text import plural

LANGS = ("en", "ko")
REQUIRED_FIELDS = ("id", "instruction", "instances")


@dataclass(frozen=True)
class SeedTask:
    id: str
    name: str
    instruction: str
    input: str
    output: str
    is_classification: bool
    lang: str
    line: int


@dataclass(frozen=True)
class SeedProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message  # line 0: the whole file


#: The one problem a file that is not JSONL gets first (a JSON list gets only this one).
NOT_JSONL = "expected JSONL (one object a line)"


def _not_jsonl(path: Path, text: str) -> SeedProblem | None:
    """The whole-file problem of a JSON list; None for anything else (checked line by line)."""
    if not text.lstrip().startswith("["):
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return None
    if not isinstance(value, list):
        return None
    items = plural(len(value), "item")
    if value and all(_looks_like_alpaca(item) for item in value[:20]):
        return SeedProblem(0, f"{NOT_JSONL}, but the file is a JSON list of {items}, which "
                              f"{_alpaca_not_seeds(len(value))}")
    target = path.with_suffix(".jsonl") if path.suffix != ".jsonl" else path.with_name(f"{path.stem}-lines.jsonl")
    return SeedProblem(0, f"{NOT_JSONL}, but the file is a JSON list of {items}; "
                          f"convert it with: jq -c '.[]' {path} > {target}")


#: Why a file of Alpaca records is not a seed file (converting it to JSONL is not enough).
WHAT_A_SEED_TASK_HAS = ("a seed task has id, name, instruction, instances (a list of input/output pairs) and "
                        "is_classification; see the README's 'Seed tasks'")


def _alpaca_not_seeds(n: int) -> str:
    """'is an Alpaca record …, not a seed task' / 'are Alpaca records …, not seed tasks', then what one has."""
    if n == 1:
        return f"is an Alpaca record (instruction, input, output), not a seed task: {WHAT_A_SEED_TASK_HAS}"
    return f"are Alpaca records (instruction, input, output), not seed tasks: {WHAT_A_SEED_TASK_HAS}"


def _looks_like_alpaca(obj: object) -> bool:
    return isinstance(obj, dict) and "instruction" in obj and "output" in obj and "instances" not in obj


def _parse_record(obj: object, line: int) -> tuple[SeedTask | None, str | None]:
    if not isinstance(obj, dict):
        return None, "not a JSON object"
    for field in REQUIRED_FIELDS:
        if field not in obj:
            return None, f"missing field {field!r}"
    instruction = obj["instruction"]
    if not isinstance(instruction, str) or not instruction.strip():
        return None, "'instruction' must be a non-empty string"
    instances = obj["instances"]
    if not isinstance(instances, list) or not instances:
        return None, "'instances' must be a non-empty list"
    first = instances[0]
    if not isinstance(first, dict) or "input" not in first or "output" not in first:
        return None, "'instances[0]' must be an object with 'input' and 'output'"
    if not isinstance(first["input"], str) or not isinstance(first["output"], str):
        return None, "'input' and 'output' must be strings"
    if not first["output"].strip():
        return None, "'output' is empty"
    lang = obj.get("lang", "en")
    if lang not in LANGS:
        return None, f"'lang' must be one of {', '.join(LANGS)}, got {lang!r}"
    is_clf = obj.get("is_classification", False)
    if not isinstance(is_clf, bool):
        return None, "'is_classification' must be true or false"
    return (
        SeedTask(
            id=str(obj["id"]),
            name=str(obj.get("name", "")),
            instruction=instruction,
            input=first["input"],
            output=first["output"],
            is_classification=is_clf,
            lang=lang,
            line=line,
        ),
        None,
    )


def read_seed_file(path: str | Path) -> tuple[list[SeedTask], list[SeedProblem]]:
    """Read every record, collecting problems instead of stopping at the first."""
    path = Path(path)
    text = read_text_file(path, "seed file")
    tasks: list[SeedTask] = []
    problems: list[SeedProblem] = []
    whole = _not_jsonl(path, text)
    if whole is not None:
        return tasks, [whole]
    seen_ids: dict[str, int] = {}
    lines = not_objects = alpaca = 0
    for number, line in enumerate(text.split("\n"), start=1):  # not splitlines(): U+2028 may sit inside a JSON string
        if not line.strip():
            continue
        lines += 1
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(SeedProblem(number, f"not valid JSON ({exc.msg}, column {exc.colno})"))
            not_objects += 1
            continue
        not_objects += not isinstance(obj, dict)
        alpaca += _looks_like_alpaca(obj)
        task, problem = _parse_record(obj, number)
        if problem:
            problems.append(SeedProblem(number, problem))
            continue
        assert task is not None
        if task.id in seen_ids:
            problems.append(SeedProblem(number, f"duplicate id {task.id!r} (first on line {seen_ids[task.id]})"))
            continue
        seen_ids[task.id] = number
        tasks.append(task)
    if not_objects and not_objects * 2 >= lines:  # mostly not one object a line: say what is expected, once
        problems.insert(0, SeedProblem(0, f"{NOT_JSONL}: {not_objects} of its {plural(lines, 'line')} "
                                          f"{'is' if not_objects == 1 else 'are'} not JSON objects"))
    elif alpaca and alpaca * 2 >= lines:
        share = f"its {plural(lines, 'line')}" if alpaca == lines else f"{alpaca} of its {plural(lines, 'line')}"
        problems.insert(0, SeedProblem(0, f"{share} {_alpaca_not_seeds(alpaca)}"))
    return tasks, problems


def load_seed_tasks(path: str | Path) -> list[SeedTask]:
    """All seed tasks of a file; any malformed record is an error naming its line."""
    tasks, problems = read_seed_file(path)
    if problems:
        first = problems[0]
        more = (f" (and {len(problems) - 1} more {'problem' if len(problems) == 2 else 'problems'}; run "
                f"'alpaca-gen seeds check {path}')") if len(problems) > 1 else ""
        where = f"{path}:{first.line}" if first.line else f"{path}"
        raise DataError(f"{where}: {first.message}{more}")
    if not tasks:
        raise DataError(f"{path}: no seed tasks in the file")
    return tasks


def seeds_for_lang(tasks: list[SeedTask], lang: str, *, cross_lang: bool = False, path: str | Path = "") -> list[SeedTask]:
    """The seeds a --lang run samples from.

    A file without seeds of that language is an error unless the user opted into
    cross-language seeds (then the prompt tells the model which language to write).
    """
    matching = [t for t in tasks if t.lang == lang]
    if matching:
        return matching
    if cross_lang:
        return list(tasks)
    langs = sorted({t.lang for t in tasks})
    raise DataError(
        f"{path or 'the seed file'} has no seed tasks with lang {lang!r} (it has: {', '.join(langs)}); "
        f"add some, or pass --cross_lang_seeds to use them anyway"
    )
