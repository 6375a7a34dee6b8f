"""``alpaca-gen seeds check``: is a seed file fit to prompt with?

Per language: counts, classification and input shares, near-duplicate pairs
(ROUGE-L with the tokenizer generation uses for that language), schema problems
with line numbers, and tasks whose text is not in their declared language.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .resources import default_seed_tasks_path
from .seeds import LANGS, SeedProblem, SeedTask, read_seed_file
from .similarity import NearDuplicateIndex
from .text import hangul_share, latin_share, plural
from .tokenizers import tokenizer_for


@dataclass
class LangReport:
    lang: str
    count: int
    classification: int
    with_input: int
    near_pairs: list[tuple[str, str, float]] = field(default_factory=list)
    wrong_language: list[tuple[int, str]] = field(default_factory=list)

    @property
    def classification_share(self) -> float:
        return self.classification / self.count if self.count else 0.0

    @property
    def input_share(self) -> float:
        return self.with_input / self.count if self.count else 0.0


@dataclass
class SeedReport:
    path: str
    problems: list[SeedProblem]
    languages: list[LangReport]

    @property
    def ok(self) -> bool:
        """No schema problems and every task in its declared language."""
        return not self.problems and all(not r.wrong_language for r in self.languages)

    @property
    def near_pair_count(self) -> int:
        return sum(len(r.near_pairs) for r in self.languages)


def _in_language(task: SeedTask) -> bool:
    text = task.instruction
    if task.lang == "ko":
        return hangul_share(text) >= 0.5
    return latin_share(text) >= 0.5


def near_pairs(tasks: list[SeedTask], lang: str, threshold: float) -> list[tuple[str, str, float]]:
    """Every pair of tasks whose instructions score above the threshold, found by pool
    position, so identical instructions are as many pairs as there are."""
    index = NearDuplicateIndex(tokenizer_for(lang), threshold, similarity_stats=False)
    pairs = []
    for task in tasks:
        scores = index.scores(task.instruction)
        for entry in np.flatnonzero(scores > threshold).tolist():
            pairs.append((tasks[entry].id, task.id, float(scores[entry])))
        index.add(task.instruction)
    return pairs


def check_seed_file(path: str | Path | None = None, *, lang: str | None = None, threshold: float = 0.7) -> SeedReport:
    path = Path(path) if path else default_seed_tasks_path()
    tasks, problems = read_seed_file(path)
    if not tasks and not problems:
        problems = [SeedProblem(0, "the file holds no seed tasks")]
    langs = [lang] if lang else [code for code in LANGS if any(t.lang == code for t in tasks)]
    reports = []
    for code in langs:
        subset = [t for t in tasks if t.lang == code]
        report = LangReport(
            lang=code,
            count=len(subset),
            classification=sum(t.is_classification for t in subset),
            with_input=sum(bool(t.input.strip()) for t in subset),
        )
        report.near_pairs = near_pairs(subset, code, threshold)
        report.wrong_language = [(t.line, t.id) for t in subset if not _in_language(t)]
        reports.append(report)
    return SeedReport(str(path), problems, reports)


#: Problems (and tasks not in their language) listed per report; the rest are counted.
MAX_PROBLEMS = 20


def _more(items: list, what: str, out, limit: int = MAX_PROBLEMS, indent: str = "  ", rest: str = "") -> None:
    """After the first ``limit`` items: how many more there are (``what``: the noun, ``rest``: after it)."""
    if len(items) > limit:
        print(f"{indent}... and {plural(len(items) - limit, 'more ' + what)}{rest}", file=out)


def print_report(report: SeedReport, *, max_pairs: int = 20, strict: bool = False, out=None) -> None:
    out = out or sys.stdout
    print(f"{report.path}", file=out)
    for r in report.languages:
        print(
            f"  {r.lang}: {plural(r.count, 'task')}, classification {r.classification} ({r.classification_share:.1%}), "
            f"with input {r.with_input} ({r.input_share:.1%}), near-duplicate pairs {len(r.near_pairs)}, "
            f"not in {r.lang} {len(r.wrong_language)}",
            file=out,
        )
        for a, b, score in r.near_pairs[:max_pairs]:
            print(f"    near duplicate: {a} ~ {b} (ROUGE-L {score:.3f})", file=out)
        for line, task_id in r.wrong_language[:MAX_PROBLEMS]:
            print(f"    line {line}: {task_id} is not written in {r.lang}", file=out)
        _more(r.wrong_language, "task", out, indent="    ", rest=f" not written in {r.lang}")
    for problem in report.problems[:MAX_PROBLEMS]:
        print(f"  problem: {problem}", file=out)
    _more(report.problems, "problem", out)
    if not report.ok:
        print("  FAILED", file=out)
    elif report.near_pair_count:
        print(f"  {'FAILED' if strict else 'OK with warnings'}: {report.near_pair_count} near-duplicate pairs", file=out)
    else:
        print("  OK", file=out)
