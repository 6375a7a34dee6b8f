"""Shared pieces of the similarity benchmarks: data, the reference loops, the synthetic pool.

Nothing here imports the engine's internals: the references below compute every
score from scratch, so they cannot share a pruning bug with ``NearDuplicateIndex``.
"""
from __future__ import annotations

import json
import os
import random
import re
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from rouge_score import rouge_scorer  # noqa: E402


def shared_dir() -> Path:
    """../shared next to the repository (override with ALPACA_GEN_SHARED)."""
    override = os.environ.get("ALPACA_GEN_SHARED")
    for path in ([Path(override)] if override else []) + [REPO.parent / "shared", Path("/work/shared")]:
        if path.is_dir():
            return path
    raise SystemExit("the shared research data (../shared) is not available")


def read_jsonl(path: Path, field: str = "instruction") -> list[str]:
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                out.append(json.loads(line)[field])
    return out


def gpteacher_rows() -> list[dict]:
    with open(shared_dir() / "bench" / "gpteacher_instructions.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def gpteacher() -> list[str]:
    return [row["instruction"] for row in gpteacher_rows()]


def stanford_seeds() -> list[str]:
    return read_jsonl(shared_dir() / "research" / "data" / "seed_tasks.jsonl")


def korean_seeds_and_candidates() -> tuple[list[str], list[str]]:
    """The 386 Korean instructions of ../shared/research/data/korean/*.jsonl in Stanford's set-up:
    the seed-task file (134) is the starting pool, the other file (252) the candidates.
    (Stanford's loop never runs on an empty pool: its ``max()`` would fail.)"""
    seeds, candidates = [], []
    for path in sorted((shared_dir() / "research" / "data" / "korean").glob("*.jsonl")):
        (seeds if "seed" in path.name else candidates).extend(read_jsonl(path))
    return seeds, candidates


# -- references ---------------------------------------------------------------------------------


def stanford_reference(seeds: list[str], candidates: list[str], *, threshold: float = 0.7, tokenizer=None,
                       top_k: int = 10, stats: bool = True) -> list[dict]:
    """Stanford Alpaca's filter loop, serial: rouge_score scores every pair, nothing is pruned.

    ``generate_instruction.py`` maps ``partial(rouge_scorer._score_lcs, new_tokens)`` over the
    pool's token lists (a multiprocessing pool there; one core here), keeps the candidate when the
    largest F-measure is not above 0.7, and appends it to the pool. ``tokenizer`` is given to
    ``RougeScorer`` (None: rouge_score's default, which Stanford uses).
    """
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False, tokenizer=tokenizer)
    pool = list(seeds)
    pool_tokens = [scorer._tokenizer.tokenize(text) for text in pool]
    kept = []
    for text in candidates:
        new_tokens = scorer._tokenizer.tokenize(text)
        scores = [rouge_scorer._score_lcs(new_tokens, tokens).fmeasure for tokens in pool_tokens]
        record = {"instruction": text}
        if stats:
            record["most_similar_instructions"] = {pool[i]: scores[i] for i in np.argsort(scores)[-top_k:][::-1]}
            record["avg_similarity_score"] = float(np.mean(scores))
        if scores and max(scores) > threshold:
            continue
        kept.append(record)
        pool.append(text)
        pool_tokens.append(new_tokens)
    return kept


def fmeasure(lcs: np.ndarray, new_len: int, lens: np.ndarray) -> np.ndarray:
    """rouge_score's formula, element-wise: p = lcs/len(existing), r = lcs/len(new), 2pr/(p+r)."""
    out = np.zeros(len(lcs))
    if new_len == 0:
        return out
    ok = (lcs > 0) & (lens > 0)
    p = lcs[ok] / lens[ok].astype(np.float64)
    r = lcs[ok] / float(new_len)
    out[ok] = 2 * p * r / (p + r)
    return out


def full_scan_reference(seeds: list[str], candidates: list[str], tokenize, *, threshold: float = 0.7,
                        top_k: int = 10, stats_for: set[int] | None = None, workers: int = 1) -> list[dict]:
    """The same loop with every LCS computed by rapidfuzz (exact, C++), against the whole pool.

    No pruning of any kind: each candidate is scored against every pool entry. Tokens become
    characters (one code point per distinct token) so LCSseq runs on token sequences.
    ``stats_for``: candidate positions whose records get Stanford's two statistic fields.
    """
    from rapidfuzz import process
    from rapidfuzz.distance import LCSseq

    codes: dict[str, str] = {}

    def encode(tokens: list[str]) -> str:
        out = []
        for token in tokens:
            ch = codes.get(token)
            if ch is None:
                n = len(codes)
                ch = chr(n if n < 0xD800 else n + 0x800)
                codes[token] = ch
            out.append(ch)
        return "".join(out)

    pool = list(seeds)
    seqs = [encode(tokenize(text)) for text in pool]
    lens = [len(s) for s in seqs]
    kept = []
    for position, text in enumerate(candidates):
        seq = encode(tokenize(text))
        if seqs:
            lcs = process.cdist([seq], seqs, scorer=LCSseq.similarity, dtype=np.int64, workers=workers)[0]
            scores = fmeasure(lcs, len(seq), np.asarray(lens))
        else:
            scores = np.zeros(0)
        record = {"instruction": text}
        if stats_for is not None and position in stats_for:
            record["most_similar_instructions"] = {pool[i]: float(scores[i]) for i in np.argsort(scores)[-top_k:][::-1]}
            record["avg_similarity_score"] = float(np.mean(scores.tolist()))
        if scores.size and scores.max() > threshold:
            continue
        kept.append(record)
        pool.append(text)
        seqs.append(seq)
        lens.append(len(seq))
    return kept


def engine_loop(seeds: list[str], candidates: list[str], tokenizer, *, threshold: float = 0.7,
                stats: bool = False) -> tuple[list[dict], object]:
    from alpaca_gen.similarity import NearDuplicateIndex

    index = NearDuplicateIndex(tokenizer, threshold, similarity_stats=stats)
    for text in seeds:
        index.add(text)
    kept = []
    for text in candidates:
        verdict = index.offer(text)
        if verdict.duplicate:
            continue
        record = {"instruction": text}
        if stats:
            record["most_similar_instructions"] = verdict.most_similar
            record["avg_similarity_score"] = verdict.avg_similarity
        kept.append(record)
    return kept, index


def same_stats(ours: dict, ref: dict) -> tuple[bool, bool]:
    """(exactly equal, equal up to ties): most_similar as {text: score} and avg_similarity.

    Stanford picks the top 10 with ``np.argsort(scores)[-10:][::-1]``, whose choice among equal
    scores is numpy's; the engine takes the lowest pool positions among equal scores. Up to
    ties: the same average and the same multiset of top-10 scores, every text in both with
    the same score, and every text in only one of them tied with the 10th score.
    """
    a, b = ours["most_similar_instructions"], ref["most_similar_instructions"]
    avg_ok = ours["avg_similarity_score"] == ref["avg_similarity_score"]
    exact = avg_ok and a == b
    if exact:
        return True, True
    if not avg_ok or sorted(a.values()) != sorted(b.values()):
        return False, False
    if any(b[t] != s for t, s in a.items() if t in b):
        return False, False
    lowest = min(b.values()) if b else 0.0
    return False, all(s == lowest for t, s in list(a.items()) + list(b.items()) if (t in a) != (t in b))


def first_difference(ours: list[dict], ref: list[dict]) -> str:
    for i, (a, b) in enumerate(zip(ours, ref)):
        if a["instruction"] != b["instruction"]:
            return f"kept #{i}: engine {a['instruction'][:60]!r} vs reference {b['instruction'][:60]!r}"
    return f"lengths {len(ours)} vs {len(ref)}"


class Timer:
    """CPU time of this process (time.process_time), as the issue asks.

    Objects alive before the timed section are collected and frozen first (``gc.freeze``), so
    that the cyclic collector does not bill the timed code for walking the benchmark's own data
    (corpus lists, token caches), which differs from one measurement to the next.
    """

    def __enter__(self):
        import gc

        gc.collect()
        gc.freeze()
        self.start = time.process_time()
        self.wall_start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.process_time() - self.start
        self.wall = time.perf_counter() - self.wall_start


# -- the synthetic 1M pool ----------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _structure(text: str) -> list[list[str]]:
    """Lines (split at newlines), each a list of sentences (split after . ! ?)."""
    return [[s for s in _SENTENCE_END.split(line) if s] or [""] for line in text.split("\n")]


def synthetic_pool(rows: list[dict], size: int, seed: int = 20240611) -> list[str]:
    """``size`` distinct instructions recombined from ``rows`` (GPTeacher rows: instruction, source).

    Each one starts from a template instruction drawn at random and keeps its layout (lines,
    sentences per line; toolformer's five-line preamble stays a five-line preamble). Every
    sentence is kept with probability 1/2, otherwise replaced by the sentence in the same slot
    (same line, same position, else a random one) of another instruction of the same source.
    Then one sentence is spliced at word level: its first i words plus the words of a donor
    sentence (same source, same line when the donor has it) from word j on, i and j uniform. Duplicates are drawn again, so the
    pool holds ``size`` distinct texts. Same rows, size and seed -> the same pool.
    """
    rng = random.Random(seed)
    by_source: dict[str, list[list[list[str]]]] = {}
    for row in rows:
        by_source.setdefault(row["source"], []).append(_structure(row["instruction"]))
    templates = [(source, s) for source, items in by_source.items() for s in items]
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < size:
        source, template = templates[rng.randrange(len(templates))]
        donors = by_source[source]
        lines = []
        for li, line in enumerate(template):
            new_line = []
            for si, sentence in enumerate(line):
                if rng.random() < 0.5:
                    donor = donors[rng.randrange(len(donors))]
                    if li < len(donor) and si < len(donor[li]):
                        sentence = donor[li][si]
                    else:
                        donor_line = donor[rng.randrange(len(donor))]
                        sentence = donor_line[rng.randrange(len(donor_line))]
                new_line.append(sentence)
            lines.append(new_line)
        # word-level splice of one sentence
        li = rng.randrange(len(lines))
        si = rng.randrange(len(lines[li]))
        donor = donors[rng.randrange(len(donors))]
        donor_line = donor[li] if li < len(donor) else donor[rng.randrange(len(donor))]
        words = lines[li][si].split(" ")
        donor_words = donor_line[rng.randrange(len(donor_line))].split(" ")
        i = rng.randint(1, len(words))
        j = rng.randrange(len(donor_words))
        lines[li][si] = " ".join(words[:i] + donor_words[j:])
        text = "\n".join(" ".join(line) for line in lines)
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


def split_held_out(rows: list[dict], held_out: int = 1000, seed: int = 7) -> tuple[list[dict], list[str]]:
    """A fixed random ``held_out`` instructions to query with; the rest is the pool's material."""
    rng = random.Random(seed)
    picked = set(rng.sample(range(len(rows)), held_out))
    material = [row for i, row in enumerate(rows) if i not in picked]
    queries = [rows[i]["instruction"] for i in sorted(picked)]
    return material, queries


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss_bytes() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
