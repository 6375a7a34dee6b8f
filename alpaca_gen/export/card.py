"""The dataset card: README.md beside the export, with the Hugging Face YAML header."""
from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

from ..funnel import Funnel
from ..state import RunLog


def _size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < limit:
            return name
    return "1M<n<10M"


def _runs_beside(input_path: Path) -> list[dict]:
    return RunLog(input_path.parent).read()


def dataset_card(*, name: str, input_path: Path, fmt: str, files: dict[str, str], counts: dict[str, int],
                 languages: Counter, models: Counter, license: str, template_source: str | None,
                 sft_note: str | None, version: str) -> str:
    """The card's Markdown: what the data is, where it came from, how it was filtered."""
    total = sum(counts.values())
    lines = ["---"]
    lines += ["language:"] + [f"- {lang}" for lang in sorted(languages)]
    lines += [f"license: {license}", "size_categories:", f"- {_size_category(total)}", "task_categories:",
              "- text-generation", f"pretty_name: {name}", "configs:", "- config_name: default", "  data_files:"]
    for split, file_name in files.items():
        lines += [f"  - split: {split}", f"    path: {file_name}"]
    lines += ["---", "", f"# {name}", "",
              f"Instruction data in the Alpaca layout (instruction, input, output), exported as `{fmt}` by "
              f"alpaca-gen {version} on {date.today().isoformat()} from `{input_path.name}`.", ""]
    lines += ["| | |", "|---|---|"]
    lines.append(f"| records | {total} (" + ", ".join(f"{split} {n}" for split, n in counts.items()) + ") |")
    lines.append("| languages | " + ", ".join(f"{lang} {n}" for lang, n in sorted(languages.items())) + " |")
    if models:
        lines.append("| written by | " + ", ".join(f"{model} {n}" for model, n in models.most_common()) + " |")
    runs = _runs_beside(input_path)
    if runs:
        settings = runs[-1].get("settings") or {}
        lines.append(f"| generation runs | {len(runs)} (runs.jsonl) |")
        if settings.get("seed_tasks"):
            lines.append(f"| seed tasks | {settings['seed_tasks']} |")
        if settings.get("prompt"):
            lines.append(f"| prompt | {settings['prompt']} |")
        if "similarity_threshold" in settings:
            lines.append(f"| near duplicates | dropped above ROUGE-L F1 {settings['similarity_threshold']} against the seeds "
                         f"and every earlier task ({settings.get('tokenizer', 'rouge')} tokens) |")
    lines.append("| rules | Stanford Alpaca's instruction filters (per language) and alpaca-gen's quality rules "
                 "on all three fields (`alpaca-gen check`) |")
    if template_source:
        lines.append(f"| prompt template | {template_source} |")
    if sft_note:
        lines.append(f"| features | {sft_note} |")
    if runs:
        funnel = Funnel()
        for run in runs:
            funnel = funnel.merged(Funnel.from_list((run.get("stats") or {}).get("funnel")))
        lines += ["", "## How the records were made", "", f"The funnel of all {len(runs)} runs (from runs.jsonl):", "",
                  "| stage | in | out | dropped |", "|---|---|---|---|"]
        for stage in funnel.stages.values():
            if stage.entered:
                dropped = ", ".join(f"{k} {v}" for k, v in sorted(stage.dropped.items(), key=lambda kv: -kv[1]))
                lines.append(f"| {stage.name} | {stage.entered} | {stage.passed} | {dropped or '—'} |")
    lines.append("")
    return "\n".join(lines)
