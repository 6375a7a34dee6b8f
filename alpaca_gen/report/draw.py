"""Which figures a report has: file name -> PNG bytes, from the numbers and raw values."""
from __future__ import annotations

from . import figures
from .measures import plural

LANG_NAMES = {"en": "English", "ko": "Korean", "other": "other languages"}


def lang_name(code: str) -> str:
    return LANG_NAMES.get(code, code)


def draw_figures(numbers: dict, raw: dict) -> dict[str, bytes]:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        from ..errors import UsageError

        raise UsageError("report draws with matplotlib: pip install 'alpaca-gen[report]'") from None
    out: dict[str, bytes] = {}
    funnel = numbers["funnel"]
    if funnel["stages"]:
        reasons = list(funnel["dropped_by_reason"].items())[:15]
        labels = ["kept"] + [reason for reason, _ in reasons]
        values = [funnel["kept"]] + [count for _, count in reasons]
        colors = [figures.BLUE] + [figures.ORANGE] * len(reasons)
        out["funnel.png"] = figures.bars(f"Generation: kept, and dropped by reason ({plural(funnel['runs'], 'run')})",
                                         labels, values, xlabel="completions or tasks (as the stage counts them)",
                                         colors=colors)
    for code, fields in raw["lengths"].items():
        units = list(fields["instruction"].keys())
        for unit in units:
            panels = [(name, fields[name][unit], unit) for name in ("instruction", "input", "output")]
            out[f"lengths_{code}_{unit}.png"] = figures.length_histograms(
                f"{lang_name(code)}: lengths in {unit}", panels)
    for code, d in numbers["diversity"].items():
        if d.get("parser"):
            top = [(v["verb"], v["pairs"], [(n["noun"], n["count"]) for n in v["nouns"]]) for v in d["top_verbs"]]
            out[f"verbs_{code}.png"] = figures.sunburst(
                f"{lang_name(code)}: top {len(top)} verbs and their top objects", top)
    for code, scores in raw["novelty"].items():
        panels = []
        if scores.get("max_rouge_vs_seeds") is not None:
            panels.append(("highest ROUGE-L F1 against the seed instructions", scores["max_rouge_vs_seeds"]))
        if scores.get("avg_similarity_score"):
            panels.append(("avg_similarity_score (against the pool when kept)", scores["avg_similarity_score"]))
        if panels:
            out[f"novelty_{code}.png"] = figures.score_histograms(f"{lang_name(code)}: novelty", panels)
    for code, seeds in numbers["seeds"].items():
        if seeds["records_with_provenance"]:
            ranked = [(sid, c) for sid, c in seeds["counts"].items() if c][:25]
            out[f"seeds_{code}.png"] = figures.bars(
                f"{lang_name(code)}: kept records per seed shown in their prompt (top {len(ranked)})",
                [sid for sid, _ in ranked], [c for _, c in ranked])
    rules = numbers["quality"]["rules"]
    if rules:
        items = list(rules.items())[:20]
        colors = [figures.ORANGE if r["action"] == "drop" else figures.BLUE for _, r in items]
        out["quality.png"] = figures.bars("Quality rules: records flagged (orange: dropped, blue: fixed)",
                                          [reason for reason, _ in items], [r["records"] for _, r in items],
                                          colors=colors)
    return out
