"""The numbers of a report, section by section, as plain dicts (report.json is their union).

Each function takes records (and what sits beside them) and returns what the page
shows; none of them draws or writes. Lengths follow the papers: English in words
(Self-Instruct's Table 1 and Figure 5), Korean in characters and in eojeol
(space-separated words), since a Korean word carries its particles.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from typing import Iterable

import numpy as np

from ..quality.structure import is_no_input
from ..records import Record
from ..text import plural  # noqa: F401 (the report's modules import it from here)

#: Instructions that ask to pick a label from a closed set. Self-Instruct asked the model
#: itself; a report has to decide without a model, so this is a keyword rule, measured
#: against the is_classification flags of the shipped seeds (tests/test_report.py).
_CLASSIFY = {
    "en": re.compile(
        r"\b(classify|categori[sz]e|label (?:each|the|this|it)|true or false|yes or no|flag (?:this|the|each)|"
        r"(?:identify|determine|decide|tell|say) (?:whether|if)|which \w+|one of|"
        r"what (?:genre|tense|type|kind|category|part of speech)\b|sentiment|"
        r"(?:as|into|answer) (?:either )?[\w-]+(?:,? [\w-]+)* or [\w-]+)|"
        r"^(?:is|are|does|do|was)\b[^.?]* or [^.?]*\?|\(\w+(?:, \w+)+,? or \w+\)|: [\w ]+(?:, [\w ]+)+,? or [\w ]+",
        re.IGNORECASE),
    "ko": re.compile(
        r"(분류|판별|판정|가려내|판단해|판단하|중 하나로|가운데 하나로|중 어느|가운데 어느|중 무엇|가운데 무엇|"
        r"중 어떤|중 어디|인지 아닌지|인가요, .*인가요|참인가요|거짓인가요|맞음|틀림|로 답해|으로 답해|골라 주세요)"),
}


def whole(value) -> int:
    """A count from a file written by another run: anything but a non-negative int is 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) else None


def has_input(record: Record) -> bool:
    """A real input: not empty, not a <noinput> marker (which check turns into "")."""
    return bool(record.input.strip()) and not is_no_input(record.input)


def classification_like(record: Record, lang: str) -> bool:
    pattern = _CLASSIFY.get(lang)
    return bool(pattern and pattern.search(record.instruction))


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def overview(records: list[Record], langs: list[str], runs: list[dict], summary: dict | None) -> dict:
    n = len(records)
    with_input = sum(1 for r in records if has_input(r))
    classify = sum(1 for r, lang in zip(records, langs) if classification_like(r, lang))
    models, apis = Counter(), Counter()
    for r in records:
        p = r.provenance if isinstance(r.provenance, dict) else {}
        models[str(p.get("model") or "unknown")] += 1
        apis[str(p.get("api") or "unknown")] += 1
    stats = [run.get("stats") if isinstance(run.get("stats"), dict) else {} for run in runs]
    tokens_in = sum(whole(s.get("prompt_tokens")) for s in stats)
    tokens_out = sum(whole(s.get("completion_tokens")) for s in stats)
    cost = None
    if summary and isinstance(summary.get("all_runs"), dict):
        cost = number(summary["all_runs"].get("cost_usd"))
    return {
        "records": n, "languages": dict(Counter(langs).most_common()),
        "with_input": with_input, "share_with_input": _share(with_input, n),
        "classification_like": classify, "share_classification_like": _share(classify, n),
        "models": dict(models.most_common()), "apis": dict(apis.most_common()),
        "runs": len(runs), "prompt_tokens": tokens_in, "completion_tokens": tokens_out,
        "cost_usd": cost,
    }


def funnel(runs: list[dict]) -> dict:
    """Each stage's in/out and drops by reason, summed over every generate run in runs.jsonl."""
    stages: dict[str, dict] = {}
    counted = 0
    for run in runs:
        steps = run.get("stats", {}).get("funnel") if isinstance(run.get("stats"), dict) else None
        if not isinstance(steps, list):
            continue
        counted += 1
        for step in steps:
            if not isinstance(step, dict):
                continue
            name = str(step.get("stage"))
            total = stages.setdefault(name, {"stage": name, "in": 0, "out": 0, "dropped": Counter()})
            total["in"] += whole(step.get("in"))
            total["out"] += whole(step.get("out"))
            dropped = step.get("dropped") if isinstance(step.get("dropped"), dict) else {}
            total["dropped"].update({str(k): whole(v) for k, v in dropped.items() if whole(v)})
    ordered = [dict(s, dropped=dict(s["dropped"].most_common())) for s in stages.values()]
    reasons = Counter()
    for s in ordered:
        reasons.update(s["dropped"])
    kept = next((stage["out"] for stage in ordered if stage["stage"] == "target"), ordered[-1]["out"] if ordered else 0)
    return {"runs": counted, "stages": ordered, "dropped_by_reason": dict(reasons.most_common()), "kept": kept}


def describe(values: Iterable[float]) -> dict:
    arr = np.asarray(list(values), dtype=float)
    if not arr.size:
        return {"count": 0, "mean": None, "median": None, "p90": None, "max": None}
    return {"count": int(arr.size), "mean": round(float(arr.mean()), 2), "median": round(float(np.median(arr)), 4),
            "p90": round(float(np.percentile(arr, 90)), 4), "max": round(float(arr.max()), 4)}


def text_lengths(texts: list[str], lang: str) -> dict[str, list[int]]:
    """The lengths a language is measured in: words (English), characters and eojeol (Korean),
    characters (other scripts: Chinese has no spaces to count words by)."""
    characters = [len(t) - t.count(" ") - t.count("\n") for t in texts]
    if lang == "ko":
        return {"characters": characters, "eojeol": [len(t.split()) for t in texts]}
    if lang == "en":
        return {"words": [len(t.split()) for t in texts]}
    return {"characters": characters}


def lengths_for(records: list[Record], lang: str) -> tuple[dict, dict]:
    """(numbers, raw lengths for the histograms) of one language's records."""
    fields = {
        "instruction": [r.instruction for r in records],
        "input": [r.input for r in records if has_input(r)],
        "output": [r.output for r in records],
    }
    raw = {name: text_lengths(texts, lang) for name, texts in fields.items()}
    numbers = {name: {unit: describe(values) for unit, values in units.items()} for name, units in raw.items()}
    return numbers, raw


def histogram(values: list[float], bins: np.ndarray) -> dict:
    counts, edges = np.histogram(np.asarray(values, dtype=float), bins=bins)
    return {"edges": [round(float(e), 4) for e in edges], "counts": [int(c) for c in counts]}


def per_seed(records: list[Record], seed_ids: list[str], lang: str, *, top: int = 5) -> dict:
    """How many kept records came from prompts that showed each seed (provenance.seed_task_ids)."""
    counts = Counter({sid: 0 for sid in seed_ids})
    with_provenance = 0
    for r in records:
        ids = r.provenance.get("seed_task_ids") if isinstance(r.provenance, dict) else None
        if not isinstance(ids, list) or not ids:
            continue
        with_provenance += 1
        counts.update(str(i) for i in ids if str(i) in counts)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    shown = [item for item in ranked if item[1] > 0]
    return {
        "lang": lang, "seeds": len(seed_ids), "records_with_provenance": with_provenance,
        "seeds_in_kept_records": len(shown), "seeds_in_no_kept_record": len(seed_ids) - len(shown),
        "most_productive": [{"id": i, "records": c} for i, c in shown[:top]],
        # Among the seeds some kept record came from; the ones in none are counted above.
        "least_productive": [{"id": i, "records": c} for i, c in shown[::-1][:top]],
        "records_per_seed": describe(c for _, c in ranked) if with_provenance else describe([]),
        "counts": dict(ranked),
    }
