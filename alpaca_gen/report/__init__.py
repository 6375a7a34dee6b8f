"""``alpaca-gen report``: what a data set looks like, in numbers and pictures.

The report is a folder: ``report.html`` (one page, figures embedded, opens from
disk with no network), one PNG per figure, and ``report.json`` with every number
the page shows. It is built in a temporary folder beside the target and renamed
into place, so a report on disk is always whole.

Sections follow what the Alpaca and Self-Instruct papers showed about their data
(see the README): overview, the generation funnel (from runs.jsonl beside the
input), lengths, verb-object diversity, novelty against the seed tasks, per-seed
productivity, and the quality rules of ``check``.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..check import check_records, record_lang
from ..errors import CannotWriteError, UsageError
from ..folders import swap_into_place, temp_folder_beside
from ..records import Record, read_records
from ..resources import default_seed_tasks_path
from ..seeds import load_seed_tasks
from . import measures
from .measures import plural
from .novelty import novelty
from .verbs import parser_for, summarize_pairs

__all__ = ["ReportResult", "build_report", "report_numbers"]

REPORT_LANGS = ("auto", "en", "ko")


@dataclass
class ReportResult:
    output: Path
    numbers: dict
    figures: dict[str, str] = field(default_factory=dict)


def _sidecars(path: Path) -> tuple[list[dict], dict | None]:
    """runs.jsonl and summary.json of the generate run that wrote ``path``, when they sit beside it."""
    folder = path.parent
    summary = None
    summary_path = folder / "summary.json"
    if summary_path.is_file():
        try:
            loaded = json.loads(summary_path.read_text(encoding="utf-8"))
            written = Path(str(loaded.get("output", ""))) if isinstance(loaded, dict) else Path()
            if written.name == path.name and (not written.is_absolute() or written.resolve() == path.resolve()):
                summary = loaded
        except (OSError, ValueError):
            summary = None
    runs: list[dict] = []
    runs_path = folder / "runs.jsonl"
    if runs_path.is_file() and (summary is not None or path.name == "regen.json"):
        for line in runs_path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                run = json.loads(line)
            except ValueError:
                continue  # a line cut by a crash: the others still count
            if isinstance(run, dict) and run.get("command", "generate") == "generate":
                runs.append(run)
    return runs, summary


def _quality(records: list[Record], locations: list[str], lang: str, examples: int) -> dict:
    report, _, flagged = check_records(records, locations, lang=lang)
    prefix = _common_folder(locations)
    numbers = report.as_dict()
    shown: dict[str, list[dict]] = {}
    for entry in flagged:
        for finding in entry["findings"]:
            bucket = shown.setdefault(finding["reason"], [])
            if len(bucket) < examples:
                bucket.append({"location": entry["location"][len(prefix):], "field": finding["field"],
                               "excerpt": finding["excerpt"], "instruction": entry["record"].get("instruction", "")})
    for reason, rule in numbers["rules"].items():
        rule["examples"] = shown.get(reason, [])
    for key in ("path", "output", "flagged_file"):
        numbers.pop(key, None)
    return numbers


def _common_folder(locations: list[str]) -> str:
    """The folder part every location starts with ('/data/x.jsonl:3' -> '/data/'), left off the examples."""
    if not locations:
        return ""
    head = locations[0]
    cut = head.rfind("/", 0, head.find(":") if ":" in head else len(head))
    prefix = head[:cut + 1] if cut >= 0 else ""
    return prefix if all(loc.startswith(prefix) for loc in locations) else ""


def _check_lang(lang: str) -> None:
    if lang not in REPORT_LANGS:
        raise UsageError(f"--lang must be one of: {', '.join(REPORT_LANGS)} (got {lang!r})")


def report_numbers(records: list[Record], locations: list[str], *, lang: str = "auto",
                   seed_tasks_path: str | None = None, runs: list[dict] | None = None,
                   summary: dict | None = None, examples: int = 3, verbs: bool = True,
                   seed_tasks: list | None = None) -> tuple[dict, dict]:
    """(report.json's numbers, the raw values the figures are drawn from). ``seed_tasks``: the tasks
    of ``seed_tasks_path`` when the caller has read them already."""
    _check_lang(lang)
    seed_path = str(seed_tasks_path or default_seed_tasks_path())
    if seed_tasks is None:
        seed_tasks = load_seed_tasks(seed_path)
    runs = runs or []
    langs = [record_lang(r, lang) for r in records]
    numbers: dict = {
        "overview": measures.overview(records, langs, runs, summary),
        "funnel": measures.funnel(runs),
        "lengths": {}, "diversity": {}, "novelty": {}, "seeds": {},
    }
    raw: dict = {"lengths": {}, "novelty": {}}
    by_lang: dict[str, list[Record]] = {}
    for record, code in zip(records, langs):
        by_lang.setdefault(code, []).append(record)
    for code, group in sorted(by_lang.items(), key=lambda item: -len(item[1])):
        numbers["lengths"][code], raw["lengths"][code] = measures.lengths_for(group, code)
        if code not in ("en", "ko"):
            continue
        parser, missing = parser_for(code) if verbs else (None, "not parsed (--noverbs)")
        if parser is None:
            numbers["diversity"][code] = {"parser": None, "how_to_enable": missing}
        else:
            summary_ = summarize_pairs(parser.pairs([r.instruction for r in group]))
            numbers["diversity"][code] = {"parser": parser.name, **summary_.as_dict()}
        seeds_numbers, seed_raw, seed_ids = novelty(group, code, seed_tasks, seed_path)
        numbers["novelty"][code] = seeds_numbers
        raw["novelty"][code] = seed_raw
        numbers["seeds"][code] = measures.per_seed(group, seed_ids, code)
    numbers["quality"] = _quality(records, locations, lang, examples)
    return numbers, raw


def _default_output(path: Path) -> Path:
    return path.parent / ("report" if path.name == "regen.json" else f"{path.stem}_report")


#: What a report folder holds; a folder holding anything else is not replaced.
_REPORT_FILES = ("report.html", "report.json")


def _is_earlier_report(folder: Path) -> bool:
    try:
        made_by = json.loads((folder / "report.json").read_text(encoding="utf-8")).get("generated_by", "")
    except (OSError, ValueError, AttributeError):
        return False
    return str(made_by).startswith("alpaca-gen ") and all(
        p.name in _REPORT_FILES or (p.suffix == ".png" and p.is_file()) for p in folder.iterdir())


def _check_target(target: Path, inputs: list[Path]) -> None:
    """Refuse, before any work, a target that is a file, holds anything but an earlier report, or holds the input."""
    if target.exists() and not target.is_dir():
        raise UsageError(f"--output {target} is a file; give a folder")
    if target.is_dir() and any(target.iterdir()) and not _is_earlier_report(target):
        raise UsageError(f"--output {target} holds files that are not an alpaca-gen report; give a new or empty "
                         "folder (an earlier report is replaced, nothing else)")
    for source in inputs:
        if source.resolve().is_relative_to(target):
            raise UsageError(f"--output {target} holds {source}; give a folder of its own")
    if not target.parent.is_dir():
        raise UsageError(f"--output {target}: {target.parent} does not exist")


def build_report(input_path: str, *, output: str | None = None, lang: str = "auto",
                 seed_tasks_path: str | None = None, examples: int = 3, verbs: bool = True,
                 quiet: bool = False) -> ReportResult:
    from .draw import draw_figures
    from .page import render_page

    path = Path(input_path)
    target = (Path(output) if output else _default_output(path)).resolve()
    _check_target(target, [path])
    _check_lang(lang)
    seed_tasks = load_seed_tasks(seed_tasks_path or default_seed_tasks_path())  # a bad one fails now, not after the parsing
    data = read_records(path, allow_empty=True)  # an empty regen.json still has a funnel to show
    runs, summary = _sidecars(path)
    numbers, raw = report_numbers(data.records, data.locations, lang=lang, seed_tasks_path=seed_tasks_path,
                                  runs=runs, summary=summary, examples=examples, verbs=verbs, seed_tasks=seed_tasks)
    numbers = {"input": str(path), "generated_by": f"alpaca-gen {__version__}", **numbers}
    tmp = temp_folder_beside(target, "report")
    try:
        figures = draw_figures(numbers, raw)
        for name, data_png in figures.items():
            (tmp / name).write_bytes(data_png)
        numbers["figures"] = sorted(figures)
        (tmp / "report.json").write_text(json.dumps(numbers, ensure_ascii=False, indent=2, allow_nan=False) + "\n",
                                         encoding="utf-8")
        (tmp / "report.html").write_text(render_page(numbers, figures), encoding="utf-8")
        for f in tmp.iterdir():
            with open(f, "rb") as handle:
                os.fsync(handle.fileno())
        swap_into_place(tmp, target)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise CannotWriteError(f"cannot write the report to {target}: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if not quiet:
        _print_result(target, numbers, out=sys.stdout)
    return ReportResult(target, numbers, {name: str(target / name) for name in figures})


def _print_result(target: Path, numbers: dict, out) -> None:
    o = numbers["overview"]
    langs = ", ".join(f"{k} {v}" for k, v in o["languages"].items())
    print(f"alpaca-gen report: {numbers['input']}: {plural(o['records'], 'record')}"
          + (f" ({langs})" if langs else ""), file=out)
    for code, d in numbers["diversity"].items():
        if d.get("parser"):
            print(f"  {code}: {d['share_with_pair']:.0%} of instructions have a verb-object pair, "
                  f"{plural(d['distinct_verbs'], 'distinct verb')} ({d['parser']})", file=out)
        else:
            print(f"  {code}: no verb-object figure: {d['how_to_enable']}", file=out)
    q = numbers["quality"]
    print(f"  quality: {q['flagged']:,} flagged ({q['dropped']:,} would be dropped, {q['fixed']:,} fixed)", file=out)
    print(f"  -> {target / 'report.html'} ({plural(len(numbers['figures']), 'figure')}, report.json)", file=out)
