"""The engine keeps exactly what Stanford's rouge_score loop keeps, on realistic instruction lists.

tests/data/en_instructions_sample.jsonl and ko_instructions_sample.jsonl were written for this
project (bench/make_samples.py): distinct instructions, clusters of light rewrites, and
instructions sharing a long tool or passage preamble. The pool starts with the first project
seed tasks of the language; every candidate is scored by rouge_score's ``_score_lcs`` against
the whole pool (no shortcut), Stanford's loop. The engine must give the same decision for every
candidate, with similarity_stats off and on, and with statistics on the same
most_similar_instructions (top 10, ties to the earlier pool entry) and avg_similarity_score.

The test marked ``shared`` runs the first 2,000 GPTeacher instructions against Stanford's seeds
(data in ../shared, next to the repository; skipped when absent).
"""
from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from rapidfuzz import process
from rapidfuzz.distance import LCSseq
from rouge_score import rouge_scorer, scoring

from alpaca_gen import similarity
from alpaca_gen.similarity import NearDuplicateIndex
from alpaca_gen.tokenizers import HangulCharTokenizer, RougeTokenizer

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
SHARED = REPO.parent / "shared"
THRESHOLD = 0.7
SEEDS_PER_LANG = 50


def read_instructions(path: Path) -> list[str]:
    return [json.loads(line)["instruction"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def project_seeds(lang: str) -> list[str]:
    rows = [json.loads(line) for line in (REPO / "seed_tasks.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    return [row["instruction"] for row in rows if row.get("lang") == lang][:SEEDS_PER_LANG]


def top_k(scores: list[float], pool: list[str], k: int = 10) -> dict[str, float]:
    """Stanford's {instruction: score} of the 10 best, best first; equal scores: earlier pool entry first."""
    out: dict[str, float] = {}
    for i in sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:k]:
        out.setdefault(pool[i], scores[i])
    return out


def stanford_loop(tokenizer, seeds: list[str], candidates: list[str]) -> list[dict]:
    """Per candidate: duplicate?, and for kept ones the statistics Stanford stores (over the whole pool)."""
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False, tokenizer=tokenizer)
    pool = list(seeds)
    pool_tokens = [scorer._tokenizer.tokenize(text) for text in pool]
    out = []
    for text in candidates:
        tokens = scorer._tokenizer.tokenize(text)
        scores = []
        for other in pool_tokens:
            scores.append(rouge_scorer._score_lcs(tokens, other).fmeasure)
            if scores[-1] > THRESHOLD:
                break  # a duplicate: the rest of its scores cannot change the decision
        duplicate = max(scores) > THRESHOLD
        record = {"duplicate": duplicate}
        if not duplicate:
            record.update(most_similar=top_k(scores, pool), avg=float(np.mean(scores)), best=max(scores))
            pool.append(text)
            pool_tokens.append(tokens)
        out.append(record)
    return out


def run_engine(tokenizer, seeds: list[str], candidates: list[str], stats: bool):
    index = NearDuplicateIndex(tokenizer, THRESHOLD, similarity_stats=stats)
    for text in seeds:
        index.add(text)
    return index, [index.offer(text) for text in candidates]


def assert_same(index, verdicts, reference, seeds, candidates, stats: bool) -> None:
    assert [v.duplicate for v in verdicts] == [r["duplicate"] for r in reference]
    kept = [text for text, r in zip(candidates, reference) if not r["duplicate"]]
    assert index.texts == seeds + kept
    if stats:
        for verdict, ref in zip(verdicts, reference):
            if not ref["duplicate"]:
                assert list(verdict.most_similar.items()) == list(ref["most_similar"].items())
                assert verdict.avg_similarity == ref["avg"]
                assert verdict.best_score == ref["best"]


@pytest.fixture(scope="module")
def english():
    tokenizer = RougeTokenizer()
    seeds = project_seeds("en")
    candidates = read_instructions(DATA / "en_instructions_sample.jsonl")
    return tokenizer, seeds, candidates, stanford_loop(tokenizer, seeds, candidates)


@pytest.fixture(scope="module")
def korean():
    tokenizer = HangulCharTokenizer()
    seeds = project_seeds("ko")
    candidates = read_instructions(DATA / "ko_instructions_sample.jsonl")
    return tokenizer, seeds, candidates, stanford_loop(tokenizer, seeds, candidates)


def test_samples_hold_near_duplicates_and_long_preambles(english, korean):
    for _, seeds, candidates, reference in (english, korean):
        assert len(seeds) == SEEDS_PER_LANG
        dropped = sum(r["duplicate"] for r in reference)
        assert 40 <= dropped <= len(candidates) - 100, dropped
    _, _, candidates, reference = english
    assert len(candidates) >= 380
    tools = [r for text, r in zip(candidates, reference) if text.startswith("assistant mode: tools")]
    assert len(tools) >= 40 and sum(r["duplicate"] for r in tools) >= len(tools) // 2
    assert len(korean[2]) >= 190


@pytest.fixture(params=["default", "numpy-path"])
def engine_path(request, monkeypatch):
    """``numpy-path``: every query takes the batched path (entry ranges of 16, the bucket bound on
    every survivor set, length-banded posting lists kept from the re-ranking at 64 entries on and
    read for entries past the 48th), which the samples' small pools would otherwise not reach."""
    if request.param == "numpy-path":
        monkeypatch.setattr(similarity, "_SMALL", -1)
        monkeypatch.setattr(similarity, "_FIRST_BLOCK", 16)
        monkeypatch.setattr(similarity, "_BUCKET_FILTER_MIN", 0)
        monkeypatch.setattr(similarity, "_FIRST_REBUILD", 64)
        monkeypatch.setattr(similarity, "_BANDED_MIN", 0)
        monkeypatch.setattr(similarity, "_BANDED_FROM", 48)
    return request.param


@pytest.mark.parametrize("stats", [False, True], ids=["stats-off", "stats-on"])
def test_english_sample_equals_rouge_score_loop(english, stats, engine_path):
    tokenizer, seeds, candidates, reference = english
    index, verdicts = run_engine(tokenizer, seeds, candidates, stats)
    assert_same(index, verdicts, reference, seeds, candidates, stats)


@pytest.mark.parametrize("stats", [False, True], ids=["stats-off", "stats-on"])
def test_korean_sample_equals_rouge_score_loop(korean, stats, engine_path):
    tokenizer, seeds, candidates, reference = korean
    index, verdicts = run_engine(tokenizer, seeds, candidates, stats)
    assert_same(index, verdicts, reference, seeds, candidates, stats)


# --- GPTeacher, first 2,000 (../shared) ----------------------------------------------------------

GPTEACHER = SHARED / "bench" / "gpteacher_instructions.jsonl"
STANFORD_SEEDS = SHARED / "research" / "data" / "seed_tasks.jsonl"


@pytest.mark.shared
@pytest.mark.skipif(not (GPTEACHER.exists() and STANFORD_SEEDS.exists()), reason="../shared research data not available")
def test_gpteacher_first_2000_equals_reference():
    """Reference: every pair scored (rapidfuzz's exact LCS on token codes, rouge_score's formula), no
    pruning; the scores near the threshold and a random sample of the others re-checked with
    rouge_score's own _score_lcs."""
    seeds = read_instructions(STANFORD_SEEDS)
    candidates = read_instructions(GPTEACHER)[:2000]
    tokenizer = RougeTokenizer()
    codes: dict[str, str] = {}

    def encode(tokens):
        return "".join(codes.setdefault(t, chr(len(codes) + 0x100)) for t in tokens)

    pool, pool_tokens = list(seeds), [tokenizer.tokenize(s) for s in seeds]
    seqs = [encode(t) for t in pool_tokens]
    rng = random.Random(0)
    reference = []
    checked = 0
    for text in candidates:
        tokens = tokenizer.tokenize(text)
        lcs = process.cdist([encode(tokens)], seqs, scorer=LCSseq.similarity, dtype=np.int64)[0]
        scores = [scoring.fmeasure(int(c) / len(o), int(c) / len(tokens)) if tokens and o else 0.0
                  for c, o in zip(lcs, pool_tokens)]
        for i, score in enumerate(scores):
            if abs(score - THRESHOLD) < 0.05 or rng.random() < 0.002:
                assert rouge_scorer._score_lcs(tokens, pool_tokens[i]).fmeasure == score
                checked += 1
        duplicate = max(scores) > THRESHOLD
        record = {"duplicate": duplicate}
        if not duplicate:
            record.update(most_similar=top_k(scores, pool), avg=float(np.mean(scores)), best=max(scores))
            pool.append(text)
            pool_tokens.append(tokens)
            seqs.append(encode(tokens))
        reference.append(record)
    assert checked > 1000
    assert 500 < sum(not r["duplicate"] for r in reference) < 1500
    for stats in (False, True):
        index, verdicts = run_engine(tokenizer, seeds, candidates, stats)
        assert_same(index, verdicts, reference, seeds, candidates, stats)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_offer_many_equals_offer_one_by_one(lang):
    """The pipeline offers a round's candidates in one call; verdicts and pool must be
    exactly those of offering them one at a time."""
    from alpaca_gen.similarity import NearDuplicateIndex
    from alpaca_gen.tokenizers import tokenizer_for

    path = Path(__file__).with_name("data") / f"{lang}_instructions_sample.jsonl"
    texts = [json.loads(line)["instruction"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    one = NearDuplicateIndex(tokenizer_for(lang), 0.7, similarity_stats=True)
    many = NearDuplicateIndex(tokenizer_for(lang), 0.7, similarity_stats=True)
    for text in texts[:40]:
        one.add(text)
        many.add(text)
    rest = texts[40:]
    expected = [one.offer(text) for text in rest]
    got = []
    for start in range(0, len(rest), 16):  # rounds of 16 candidates, duplicates inside rounds included
        got.extend(many.offer_many(rest[start:start + 16]))
    assert [(v.duplicate, v.best_score, v.most_similar, v.avg_similarity) for v in got] == \
        [(v.duplicate, v.best_score, v.most_similar, v.avg_similarity) for v in expected]
    assert many.texts == one.texts


def test_offer_many_across_re_rankings_keeps_the_pool_consistent():
    """Rounds of 16 candidates while the pool crosses the re-rankings at 256 and 1,024: an
    add inside a round must use the codes in force after a re-ranking (a stale encoding
    once let exact duplicates through in generate)."""
    from alpaca_gen.similarity import NearDuplicateIndex

    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(400)]
    texts = []
    for _ in range(1400):
        base = [rng.choice(vocab) for _ in range(rng.randint(4, 10))]
        texts.append(" ".join(base))
        if rng.random() < 0.3:
            texts.append(" ".join(base))  # an exact repeat, maybe in the same round
    one = NearDuplicateIndex(RougeTokenizer(), 0.7, similarity_stats=True)
    many = NearDuplicateIndex(RougeTokenizer(), 0.7, similarity_stats=True)
    expected = [one.offer(t).duplicate for t in texts]
    got = []
    for start in range(0, len(texts), 16):
        got.extend(v.duplicate for v in many.offer_many(texts[start:start + 16]))
    assert got == expected
    assert len(many) == len(one) > 1024
    # Every kept text is found again as an exact duplicate.
    assert all(many.check(t).duplicate for t in many.texts[::50])
