"""``alpaca-gen export``: from regen.json (or any Alpaca-format file) to what trainers read.

The export is a folder: the data file(s) of the format (one per split with
``--split``), ``dataset_info.json`` for LLaMA-Factory, and a dataset card
(``README.md``). It is built in a temporary folder beside the target and renamed into
place, so a failed export leaves nothing half written, and an existing export is
replaced only with ``--overwrite``.
"""
from __future__ import annotations

import json
import random
import shutil
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..check import record_lang
from ..errors import CannotWriteError, DataError, UsageError
from ..folders import swap_into_place, temp_folder_beside
from ..records import Record, read_objects, read_records
from .card import dataset_card
from .formats import FORMATS, SFT_JSONL, llama_factory_info
from .sft import load_tokenizer, render_prompts, sft_features
from .templates import DEFAULT_TEMPLATES, PromptTemplate, load_template

__all__ = ["ExportReport", "export_file", "parse_split", "FORMATS"]


@dataclass
class ExportReport:
    output: str
    format: str
    files: dict[str, str] = field(default_factory=dict)  # split -> file name
    counts: dict[str, int] = field(default_factory=dict)  # split -> rows written
    selected: int = 0
    read: int = 0
    truncated: int = 0
    target_lost: int = 0


def parse_split(text: str | None) -> dict[str, float]:
    """``train=0.95,validation=0.05`` -> shares that add up to 1 (one split "train" by default)."""
    if not text:
        return {"train": 1.0}
    shares: dict[str, float] = {}
    for part in str(text).split(","):
        name, _, value = part.partition("=")
        name = name.strip()
        try:
            share = float(value)
        except ValueError:
            share = -1.0
        if not name or not name.replace("_", "").isalnum() or share <= 0 or name in shares:
            raise UsageError(f"--split takes name=share pairs such as train=0.95,validation=0.05 (got {text!r})")
        shares[name] = share
    if abs(sum(shares.values()) - 1.0) > 1e-6:
        raise UsageError(f"--split shares must add up to 1 (got {sum(shares.values()):g})")
    return shares


def assign_splits(n: int, shares: dict[str, float], seed: int) -> dict[str, list[int]]:
    """Record positions per split: sizes by largest remainder, chosen at random with
    ``seed``, each split keeping the input order."""
    exact = {name: n * share for name, share in shares.items()}
    sizes = {name: int(value) for name, value in exact.items()}
    for name in sorted(exact, key=lambda k: exact[k] - sizes[k], reverse=True)[: n - sum(sizes.values())]:
        sizes[name] += 1
    order = list(range(n))
    random.Random(seed).shuffle(order)
    out, start = {}, 0
    for name, size in sizes.items():
        out[name] = sorted(order[start: start + size])
        start += size
    return out


def _check_alpaca_shape(path: Path) -> None:
    """Every record carries the three fields (the seed schema's instances count)."""
    raw = read_objects(path)
    for obj, where in zip(raw.objects, raw.locations):
        if isinstance(obj, dict) and "output" not in obj and isinstance(obj.get("instances"), list):
            continue
        missing = [key for key in ("instruction", "input", "output") if not isinstance(obj, dict) or key not in obj]
        if missing:
            raise DataError(f"{where}: not an Alpaca record (no {', '.join(repr(m) for m in missing)})")


def _prepare_folder(output: Path, overwrite: bool) -> Path:
    if output.exists() and not output.is_dir():
        raise UsageError(f"--output {output} is a file; an export is a folder (its data files and a README.md)")
    if output.exists() and any(output.iterdir()) and not overwrite:
        raise UsageError(f"--output {output} is not empty; pass --overwrite to replace what is there")
    if not output.parent.exists():
        raise UsageError(f"--output {output}: {output.parent} does not exist")
    return temp_folder_beside(output, "export")


def export_file(options, *, out=None) -> ExportReport:
    """Run one export (``options`` is an :class:`~alpaca_gen.config.ExportOptions`)."""
    out = out or sys.stdout
    fmt = SFT_JSONL if options.format == "sft" and options.features == "jsonl" else FORMATS[options.format]
    input_path = Path(options.input)
    output = Path(options.output)
    if output.resolve() == input_path.resolve() or input_path.resolve().is_relative_to(output.resolve()):
        raise UsageError("--output must be a folder of its own, not the input or the folder that holds it")
    shares = parse_split(options.split)
    template = load_template(options.template) if options.template else None
    tokenizer = None
    if options.format == "sft":
        if not options.tokenizer:
            raise UsageError("--format sft needs --tokenizer (a tokenizer.json file or a model folder holding one)")
        tokenizer = load_tokenizer(options.tokenizer, options.eos_token)
    _check_alpaca_shape(input_path)
    data = read_records(input_path)
    langs = [record_lang(record, "auto") for record in data.records]
    chosen = [i for i, lang in enumerate(langs) if options.lang == "all" or lang == options.lang]
    records = [data.records[i] for i in chosen]
    langs = [langs[i] for i in chosen]
    report = ExportReport(str(output), options.format, read=len(data.records), selected=len(records))
    if not records:
        raise DataError(f"{input_path}: no records to export ({report.read} read, none of language {options.lang})")
    rows, kept = _rows(fmt, records, langs, options, template, tokenizer, report)
    if not len(rows):
        raise DataError(f"{input_path}: no record left to export: truncation at --max_length {options.max_length} "
                        f"cut off the whole target of all {report.selected}")
    splits = assign_splits(len(rows), shares, options.seed)
    tmp = _prepare_folder(output, options.overwrite)
    try:
        for split, positions in splits.items():
            name = f"{fmt.base}.{fmt.extension}" if len(shares) == 1 else f"{fmt.base}.{split}.{fmt.extension}"
            part = rows.take(positions) if fmt.row is None else [rows[p] for p in positions]
            (tmp / name).write_bytes(fmt.encode(part))
            report.files[split], report.counts[split] = name, len(positions)
        if options.format == "llama-factory":
            info = llama_factory_info(options.name or output.name, report.files, bool(options.system))
            (tmp / "dataset_info.json").write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        if options.card:
            kept_records = [records[i] for i in kept]
            (tmp / "README.md").write_text(_card(options, output, input_path, report, kept_records,
                                                 [langs[i] for i in kept], template, tokenizer), encoding="utf-8")
        swap_into_place(tmp, output)
    except OSError as exc:
        raise CannotWriteError(f"cannot write the export to {output}: {exc.strerror}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _print(report, out)
    return report


def _rows(fmt, records: list[Record], langs: list[str], options, template, tokenizer, report):
    """The rows of the format (for sft, a pyarrow table of features), and the positions of
    the records they come from."""
    if fmt.row is not None:
        return [fmt.row(record, options) for record in records], list(range(len(records)))
    templates = {lang: template or DEFAULT_TEMPLATES.get(lang, DEFAULT_TEMPLATES["en"]) for lang in set(langs)}
    prompts = render_prompts(records, templates, langs)
    features, kept, counts = sft_features(prompts, [r.output for r in records], tokenizer,
                                          max_length=options.max_length, train_on_input=options.train_on_input)
    report.truncated, report.target_lost = counts.truncated, counts.target_lost
    return features, kept


def _card(options, output, input_path, report, records, langs, template: PromptTemplate | None, tokenizer) -> str:
    models = Counter(f"{r.provenance.get('model')} ({r.provenance.get('api')})" for r in records
                     if r.provenance and r.provenance.get("model"))
    sft_note = None
    if tokenizer is not None:
        sft_note = (f"input_ids, labels (-100 on the prompt{'' if not options.train_on_input else ': none, --train_on_input'}), "
                    f"attention_mask; {tokenizer.source}, EOS {tokenizer.eos_token!r} after each output, "
                    f"max length {options.max_length}; {report.truncated} truncated, {report.target_lost} dropped "
                    "(their whole target was cut off)")
    source = template.source if template else ("built-in (alpaca_gen/export/templates.py)" if options.format == "sft" else None)
    return dataset_card(name=options.name or output.name, input_path=input_path, fmt=options.format, files=report.files,
                        counts=report.counts, languages=Counter(langs), models=models, license=options.license,
                        template_source=source, sft_note=sft_note, version=__version__)


def _print(report: ExportReport, out) -> None:
    parts = ", ".join(f"{split} {n} -> {report.files[split]}" for split, n in report.counts.items())
    print(f"alpaca-gen export: {report.selected} of {report.read} records as {report.format} in {report.output}: {parts}",
          file=out)
    if report.format == "sft":
        print(f"  {report.truncated} truncated at the maximum length; {report.target_lost} dropped because "
              "truncation cut off their whole target", file=out)
