"""Our seed tasks are our own: none within ROUGE-L 0.7 of the Stanford seeds or of the
public Korean seed files. Needs ../shared (research data); skipped without it."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from alpaca_gen.seeds import load_seed_tasks
from alpaca_gen.similarity import NearDuplicateIndex
from alpaca_gen.tokenizers import tokenizer_for

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "research" / "data"

pytestmark = [
    pytest.mark.shared,
    pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/research/data is not here"),
]


def instructions(path: Path) -> list[str]:
    return [json.loads(line)["instruction"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def worst_score(ours: list[str], theirs: list[str], lang: str) -> float:
    index = NearDuplicateIndex(tokenizer_for(lang), 0.7, similarity_stats=True, top_k=1)
    for text in theirs:
        index.add(text)
    return max(max(index.check(text).most_similar.values()) for text in ours)


def test_english_seeds_are_not_near_stanford_seeds():
    ours = [t.instruction for t in load_seed_tasks(REPO / "seed_tasks.jsonl") if t.lang == "en"]
    assert worst_score(ours, instructions(SHARED / "seed_tasks.jsonl"), "en") <= 0.7


def test_korean_seeds_are_not_near_public_korean_seeds():
    ours = [t.instruction for t in load_seed_tasks(REPO / "seed_tasks.jsonl") if t.lang == "ko"]
    theirs = instructions(SHARED / "korean" / "ko_seed_tasks_jojo0217_merged.jsonl")
    theirs += instructions(SHARED / "korean" / "ko_user_oriented_instructions_kullm_deepl.jsonl")
    assert worst_score(ours, theirs, "ko") <= 0.7
