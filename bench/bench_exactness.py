"""Exactness: the engine keeps exactly what Stanford's rouge_score loop keeps, record for record.

English: the 14,131 GPTeacher instructions, Stanford's 175 seed tasks as the starting pool,
rouge_score's default tokenizer, threshold 0.7.

1. Pure reference: Stanford's loop with rouge_score's own ``_score_lcs`` on every pair, on the
   first ``--validate`` (1,000) candidates. Hours for all 14,131, so only this prefix.
2. Full-scan reference: the same loop with every pair's LCS computed by rapidfuzz (exact) and
   rouge_score's float formula: every pair scored, nothing pruned. Checked against (1) on the
   prefix (kept lists and Stanford's two statistics, key order included), then run on everything.
3. The engine, statistics off and on, against (2): kept lists record for record; with statistics
   on, most_similar_instructions and avg_similarity_score of every kept record (all of them,
   not only a sample), and against (1) on the prefix.

Korean: the 386 instructions of ../shared/research/data/korean/*.jsonl, the 134 of the seed-task
file as the starting pool and the 252 others as candidates, hangul-char tokens, reference =
``RougeScorer(["rougeL"], tokenizer=...)`` (its ``_score_lcs`` on the tokenizer's lists), the same
comparisons.

    python bench/bench_exactness.py [--validate 1000] [--skip-english] [--skip-korean]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from alpaca_gen.tokenizers import get_tokenizer  # noqa: E402


def compare_stats(label: str, ours: list[dict], ref: list[dict]) -> bool:
    exact = ties = 0
    for a, b in zip(ours, ref):
        same, up_to_ties = common.same_stats(a, b)
        exact += same
        ties += up_to_ties
    ok = ties == len(ref)
    print(f"  {label}: {len(ref)} records, {exact} identical (key order included), {ties} equal up to the "
          f"order of tied scores -> {'OK' if ok else 'MISMATCH'}")
    return ok


def compare_kept(label: str, ours: list[dict], ref: list[dict]) -> bool:
    same = [r["instruction"] for r in ours] == [r["instruction"] for r in ref]
    print(f"  {label}: kept {len(ours)} vs {len(ref)} -> {'identical' if same else 'DIFFERENT: ' + common.first_difference(ours, ref)}")
    return same


def run(lang: str, seeds: list[str], corpus: list[str], tokenizer, validate: int, scorer_tokenizer) -> bool:
    ok = True
    prefix = corpus[:validate]
    print(f"\n== {lang}: {len(corpus)} candidates, {len(seeds)} seed instructions, tokenizer {tokenizer.name}")

    with common.Timer() as t:
        pure = common.stanford_reference(seeds, prefix, tokenizer=scorer_tokenizer)
    print(f"pure rouge_score reference, first {len(prefix)}: kept {len(pure)}, {t.seconds:.1f} s CPU")

    with common.Timer() as t:
        scan_prefix = common.full_scan_reference(seeds, prefix, tokenizer.tokenize, stats_for=set(range(len(prefix))))
    print(f"full-scan reference (rapidfuzz LCS on every pair), first {len(prefix)}: {t.seconds:.2f} s CPU")
    ok &= compare_kept("full scan vs pure rouge_score", scan_prefix, pure)
    identical = all(a == b and list(a["most_similar_instructions"].items()) == list(b["most_similar_instructions"].items())
                    for a, b in zip(scan_prefix, pure))
    print(f"  full scan vs pure rouge_score, statistics: {'identical, key order included' if identical else 'DIFFERENT'}")
    ok &= identical

    with common.Timer() as t:
        scan = common.full_scan_reference(seeds, corpus, tokenizer.tokenize, stats_for=set(range(len(corpus))))
    print(f"full-scan reference, all {len(corpus)}: kept {len(scan)}, {t.seconds:.1f} s CPU")

    for stats in (False, True):
        with common.Timer() as t:
            kept, _ = common.engine_loop(seeds, corpus, tokenizer, stats=stats)
        print(f"engine, similarity_stats={stats}, all {len(corpus)}: kept {len(kept)}, {t.seconds:.2f} s CPU")
        ok &= compare_kept("engine vs full-scan reference", kept, scan)
        if stats:
            ok &= compare_stats("most_similar/avg vs full-scan reference, every kept record", kept, scan)
            prefix_kept, _ = common.engine_loop(seeds, prefix, tokenizer, stats=True)
            ok &= compare_kept(f"engine vs pure rouge_score, first {len(prefix)}", prefix_kept, pure)
            ok &= compare_stats(f"most_similar/avg vs pure rouge_score, first {len(prefix)}", prefix_kept, pure)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--validate", type=int, default=1000, help="candidates run through pure rouge_score (English)")
    parser.add_argument("--skip-english", action="store_true")
    parser.add_argument("--skip-korean", action="store_true")
    args = parser.parse_args()
    ok = True
    if not args.skip_english:
        ok &= run("English (GPTeacher)", common.stanford_seeds(), common.gpteacher(), get_tokenizer("rouge"),
                  args.validate, None)
    if not args.skip_korean:
        seeds, candidates = common.korean_seeds_and_candidates()
        tok = get_tokenizer("hangul-char")
        ok &= run("Korean", seeds, candidates, tok, len(candidates), tok)
    print("\nALL EXACT" if ok else "\nMISMATCH FOUND")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
