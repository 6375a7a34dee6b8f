"""How far each record is from the seed tasks (Self-Instruct's Figure 4).

Every instruction's highest ROUGE-L F1 against the seed instructions of its
language, with the tokenizer generate uses for that language, scored by the same
exact engine as the similarity filter. A seed file without seeds of the language
gives no novelty figure for it, and the page says why.
"""
from __future__ import annotations

import numpy as np

from ..records import Record
from ..seeds import SeedTask
from ..similarity import NearDuplicateIndex
from ..tokenizers import tokenizer_for
from .measures import describe, histogram, number

_BINS = np.linspace(0, 1, 21)


def novelty(records: list[Record], lang: str, seed_tasks: list[SeedTask], path: str) -> tuple[dict, dict, list[str]]:
    """(numbers, the raw scores for the figure, the ids of the language's seeds); ``seed_tasks`` read from ``path``."""
    seeds = [t for t in seed_tasks if t.lang == lang]
    averages = [v for v in (number(r.avg_similarity_score) for r in records) if v is not None]
    numbers: dict = {"seed_tasks_path": str(path), "seed_tasks": len(seeds)}
    raw: dict = {"avg_similarity_score": averages}
    if seeds:
        index = NearDuplicateIndex(tokenizer_for(lang), threshold=1.0, similarity_stats=False)
        for seed in seeds:
            index.add(seed.instruction)
        best = [float(index.scores(r.instruction).max()) for r in records]
        raw["max_rouge_vs_seeds"] = best
        numbers["max_rouge_vs_seeds"] = {**describe(best), "histogram": histogram(best, _BINS),
                                         "above_0_7": sum(1 for s in best if s > 0.7)}
    else:
        numbers["max_rouge_vs_seeds"] = None
        numbers["why_missing"] = f"{path} has no seed tasks with lang {lang!r}"
    numbers["avg_similarity_score"] = ({**describe(averages), "histogram": histogram(averages, _BINS)}
                                       if averages else None)
    return numbers, raw, [t.id for t in seeds]
