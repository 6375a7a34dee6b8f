"""Which tokenizer should Korean near-duplicate detection use?

Reads tests/data/ko_pairs.jsonl (labelled Korean pairs: label near/distinct, kind) and, for
every candidate tokenizer of alpaca_gen.tokenizers, computes each pair's ROUGE-L F1 with
rouge_score's own ``_score_lcs`` on the tokenizer's token lists. A pair is called "near" when
its score is above a threshold (strictly, as the filter does). Reported per tokenizer:

* precision and recall of "near" at the threshold that maximizes F1 of "near" (ties broken
  toward 0.7; shown as the interval of thresholds that all decide alike), and at the fixed 0.7
  the generator uses;
* a paired bootstrap interval of the F1 difference at 0.7 between the default and the others;
* recall per kind of near pair and false-positive rate per kind of distinct pair, at 0.7;
* tokenizing speed, µs per sentence (CPU time, all sentences of the file, best of --repeats).

    python bench/ko_tokenizers.py [--pairs tests/data/ko_pairs.jsonl] [--repeats 20]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rouge_score import rouge_scorer  # noqa: E402

from alpaca_gen.tokenizers import DEFAULT_TOKENIZER, get_tokenizer  # noqa: E402

CANDIDATES = ["hangul-char", "whitespace", "char-bigram", "kiwi", "kiwi-all"]
NEEDS_INSTALL = {"kiwi": "kiwipiepy", "kiwi-all": "kiwipiepy"}


def prf(scores: list[float], labels: list[bool], threshold: float) -> tuple[float, float, float]:
    tp = sum(1 for s, y in zip(scores, labels) if s > threshold and y)
    fp = sum(1 for s, y in zip(scores, labels) if s > threshold and not y)
    fn = sum(1 for s, y in zip(scores, labels) if s <= threshold and y)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def best_threshold(scores: list[float], labels: list[bool]) -> tuple[float, tuple[float, float, float]]:
    """The threshold with the best F1 of "near"; candidates are the scores themselves (and -1: all near)."""
    best = None
    for t in sorted(set(scores) | {-1.0}):
        result = prf(scores, labels, t)
        key = (round(result[2], 12), -abs(t - 0.7))
        if best is None or key > best[0]:
            best = (key, t, result)
    return best[1], best[2]


def paired_bootstrap(scores_a, scores_b, labels, threshold=0.7, rounds=2000, seed=0) -> tuple[float, float]:
    """95% interval of F1(a) - F1(b) at the threshold, resampling pairs (same resample for both)."""
    import random

    rng = random.Random(seed)
    n = len(labels)
    diffs = []
    for _ in range(rounds):
        idx = [rng.randrange(n) for _ in range(n)]
        la = [labels[i] for i in idx]
        diffs.append(prf([scores_a[i] for i in idx], la, threshold)[2] - prf([scores_b[i] for i in idx], la, threshold)[2])
    diffs.sort()
    return diffs[int(0.025 * rounds)], diffs[int(0.975 * rounds) - 1]


def tokenizing_speed(tokenizer, sentences: list[str], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        for sentence in sentences:
            tokenizer.tokenize(sentence)
        best = min(best, time.process_time() - start)
    return best / len(sentences) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", default=str(REPO / "tests" / "data" / "ko_pairs.jsonl"))
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    pairs = [json.loads(line) for line in Path(args.pairs).read_text(encoding="utf-8").splitlines() if line.strip()]
    labels = [p["label"] == "near" for p in pairs]
    sentences = [p["a"] for p in pairs] + [p["b"] for p in pairs]
    kinds = sorted({(p["label"], p["kind"]) for p in pairs})
    print(f"{len(pairs)} pairs: {sum(labels)} near, {len(labels) - sum(labels)} distinct; kinds: "
          + ", ".join(f"{k} ({sum(1 for p in pairs if (p['label'], p['kind']) == (lab, k))}, {lab})" for lab, k in kinds))

    rows = []
    per_kind = {}
    all_scores = {}
    for name in CANDIDATES:
        try:
            tokenizer = get_tokenizer(name)
            tokenizer.tokenize("준비 운동")  # load models before timing
        except Exception as exc:  # kiwipiepy missing
            print(f"{name}: unavailable ({exc})")
            continue
        scores = [rouge_scorer._score_lcs(tokenizer.tokenize(p["a"]), tokenizer.tokenize(p["b"])).fmeasure for p in pairs]
        all_scores[name] = scores
        t_best, (p_best, r_best, f_best) = best_threshold(scores, labels)
        above = [s for s in set(scores) if s > t_best + 1e-12]  # equal fractions may differ in the last bit
        t_best = (t_best, min(above) if above else 1.0)  # every threshold in [t, next score) decides alike
        p7, r7, f7 = prf(scores, labels, 0.7)
        speed = tokenizing_speed(tokenizer, sentences, args.repeats)
        rows.append((name, NEEDS_INSTALL.get(name, "no"), t_best, p_best, r_best, f_best, p7, r7, f7, speed))
        counts = defaultdict(lambda: [0, 0])
        for p, s in zip(pairs, scores):
            c = counts[(p["label"], p["kind"])]
            c[0] += s > 0.7
            c[1] += 1
        per_kind[name] = counts

    print("\n| tokenizer | extra install | best threshold | P | R | F1 | P @ 0.7 | R @ 0.7 | F1 @ 0.7 | µs / sentence |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, install, t, p, r, f, p7, r7, f7, speed in rows:
        span = f"{max(t[0], 0.0):.3f}–{t[1]:.3f}"
        print(f"| {name} | {install} | {span} | {p:.3f} | {r:.3f} | {f:.3f} | {p7:.3f} | {r7:.3f} | {f7:.3f} | {speed:.1f} |")

    print("\nAt 0.7, share of pairs called near, per kind (near kinds: recall; distinct kinds: false positives):\n")
    names = [row[0] for row in rows]
    print("| kind | label | " + " | ".join(names) + " |")
    print("|---|---|" + "---|" * len(names))
    for label, kind in sorted(kinds, key=lambda k: (k[0] != "near", k[1])):
        cells = []
        for name in names:
            hit, total = per_kind[name][(label, kind)]
            cells.append(f"{hit}/{total}")
        print(f"| {kind} | {label} | " + " | ".join(cells) + " |")

    default = DEFAULT_TOKENIZER["ko"]
    if default in all_scores:
        print(f"\nF1 at 0.7 of {default} minus that of each other tokenizer, 95% paired-bootstrap interval over the pairs:")
        for name in names:
            if name != default:
                lo, hi = paired_bootstrap(all_scores[default], all_scores[name], labels)
                print(f"  {default} - {name}: [{lo:+.3f}, {hi:+.3f}]")

    print(f"\ncurrent default for ko: {default}")
    no_install = [row for row in rows if row[1] == "no"]
    if no_install:
        at_07 = max(no_install, key=lambda row: row[8])
        at_best = max(no_install, key=lambda row: row[5])
        print(f"best without an extra install at 0.7: {at_07[0]} (F1 {at_07[8]:.3f}); "
              f"at its own best threshold: {at_best[0]} (F1 {at_best[5]:.3f} above {at_best[2][0]:.3f})")
    overall = max(rows, key=lambda row: row[8])
    print(f"best overall at 0.7: {overall[0]} (F1 {overall[8]:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
