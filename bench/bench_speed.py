"""Speed: Stanford's rouge_score loop against the engine, side by side in one run.

Both run Stanford's filter loop (seeds in the pool, each candidate scored against the pool,
kept when no score is above 0.7, kept ones joining the pool) and both include tokenizing.
Times are CPU seconds of this process (time.process_time). The reference is Stanford's loop
body run serially on one core (Stanford maps the pairs over a multiprocessing pool, which on
top of the same work adds a pool start-up per candidate). It always computes the
top-10 statistics, as Stanford's loop does; the engine computes them only with
similarity_stats on. Engine times are the median of --repeats runs before and --repeats runs
after the reference run (machines are shared and noisy; the minimum is printed too); the engine is warmed up (imports, first calls) once
before timing, and objects alive before each timed run are frozen out of the garbage
collector's way (common.Timer).

English: the first --n (1,000) GPTeacher instructions, Stanford's 175 seeds, rouge tokens;
then the whole 14,131 with statistics off. Korean: the 252 candidates against the 134 Korean
seed tasks, hangul-char tokens, reference = RougeScorer(["rougeL"], tokenizer=hangul-char).

    python bench/bench_speed.py [--n 1000] [--repeats 5]
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from alpaca_gen.tokenizers import get_tokenizer  # noqa: E402


class PreTokenized:
    """Hands the engine token lists computed beforehand (to time the engine without tokenizing)."""

    def __init__(self, tokenizer, texts):
        self.name = tokenizer.name
        self._tokens = {text: tokenizer.tokenize(text) for text in texts}

    def tokenize(self, text):
        return self._tokens[text]


class FindallRouge:
    """rouge_score's tokenizer (no stemmer) in one regex call: the change proposed for tokenizers.py."""

    name = "rouge"
    _find = re.compile(r"[a-z0-9]+").findall

    def tokenize(self, text):
        return self._find(text.lower())


def engine_times(seeds, candidates, tokenizer, stats, repeats):
    times = []
    kept = None
    for _ in range(repeats):
        with common.Timer() as t:
            kept, _ = common.engine_loop(seeds, candidates, tokenizer, stats=stats)
        times.append(t.seconds)
    return statistics.median(times), min(times), kept, times


def warm_up(tokenizer):
    common.engine_loop(["warm up the engine"], ["warm up the engine once", "another short text"] * 3, tokenizer, stats=True)
    common.engine_loop(["warm up the engine"], ["warm up the engine once", "another short text"] * 3, tokenizer, stats=False)


def compare(lang, seeds, candidates, tokenizer, scorer_tokenizer, repeats) -> float:
    print(f"\n== {lang}: {len(candidates)} candidates, {len(seeds)} seeds, tokenizer {tokenizer.name}")
    warm_up(tokenizer)
    # Engine runs before and after the long reference run, so a burst of load on the shared
    # machine during one of them does not decide the ratio alone.
    before = {stats: engine_times(seeds, candidates, tokenizer, stats, repeats) for stats in (False, True)}
    with common.Timer() as t:
        ref = common.stanford_reference(seeds, candidates, tokenizer=scorer_tokenizer)
    ref_time = t.seconds
    print(f"rouge_score reference loop (pure Python, serial): {ref_time:.2f} s CPU, kept {len(ref)}")
    for stats in (False, True):
        after = engine_times(seeds, candidates, tokenizer, stats, repeats)
        times = before[stats][3] + after[3]
        median, best, kept = statistics.median(times), min(times), after[2]
        repeats_done = len(times)
        same = [r["instruction"] for r in kept] == [r["instruction"] for r in ref]
        print(f"engine, similarity_stats={stats}: {median * 1000:.1f} ms CPU (median of {repeats_done}; min {best * 1000:.1f}), "
              f"kept {len(kept)} {'= reference' if same else '!= REFERENCE'} -> ratio {ref_time / median:,.0f}x "
              f"(with the min: {ref_time / best:,.0f}x)")
    return ref_time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-korean", action="store_true")
    args = parser.parse_args()

    seeds = common.stanford_seeds()
    corpus = common.gpteacher()
    rouge = get_tokenizer("rouge")
    ref_time = compare(f"English, first {args.n} GPTeacher", seeds, corpus[: args.n], rouge, None, args.repeats)

    # The proposed tokenizer gives the same tokens; time the same loop with it.
    fast = FindallRouge()
    assert all(fast.tokenize(t) == rouge.tokenize(t) for t in seeds + corpus), "findall tokens differ"
    median, best, _, _ = engine_times(seeds, corpus[: args.n], fast, False, args.repeats)
    print(f"engine, similarity_stats=False, with the one-regex rouge tokenizer (same tokens on all "
          f"{len(seeds) + len(corpus)} texts): {median * 1000:.1f} ms CPU (min {best * 1000:.1f}) -> ratio "
          f"{ref_time / median:,.0f}x")

    print(f"\n== English, all {len(corpus)} GPTeacher, similarity_stats=False")
    median, best, kept, _ = engine_times(seeds, corpus, rouge, False, args.repeats)
    print(f"engine, tokenizing included: {median:.2f} s CPU (median of {args.repeats}; min {best:.2f}), kept {len(kept)}")
    pre = PreTokenized(rouge, seeds + corpus)
    median, best, _, _ = engine_times(seeds, corpus, pre, False, args.repeats)
    print(f"engine, tokens computed beforehand (tokenizing excluded): {median:.2f} s CPU (min {best:.2f})")
    with common.Timer() as t:
        for text in seeds + corpus:
            rouge.tokenize(text)
    print(f"rouge_score tokenizer alone on the {len(seeds) + len(corpus)} texts: {t.seconds:.2f} s CPU; "
          f"one-regex tokenizer: ", end="")
    with common.Timer() as t:
        for text in seeds + corpus:
            fast.tokenize(text)
    print(f"{t.seconds:.2f} s CPU")

    if not args.skip_korean:
        ko_seeds, ko_candidates = common.korean_seeds_and_candidates()
        tok = get_tokenizer("hangul-char")
        compare("Korean", ko_seeds, ko_candidates, tok, tok, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
