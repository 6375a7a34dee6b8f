"""Scale: a pool of 1,000,000 instructions, memory and time to check one candidate.

The pool is built reproducibly from the GPTeacher corpus (see common.synthetic_pool): 1,000
instructions drawn with a fixed seed are held out as queries, the other 13,131 are the material.
Each pool instruction starts from a random template instruction, keeps each sentence with
probability 1/2 or takes the sentence in the same slot of another instruction of the same
source (codegen, roleplay, toolformer), then splices one sentence at word level with a donor;
exact repeats are drawn again. The vocabulary therefore stays the corpus's (about 7,300 words),
so every word is far more frequent than in a real pool of a million instructions, and the pool
is not near-duplicate filtered (whole clusters share a toolformer preamble): both make it
harder for the index than a real Stanford-style pool.

One index is grown to 10,000, then 100,000, then 1,000,000 entries with ``add``. At each size:
the CPU time of building (including the first query, which fills the bucket counts), the
memory, and the CPU time (time.process_time) of ``check`` for each of the 1,000 held-out
queries, similarity_stats off (live objects frozen out of the garbage collector's way
first, as in common.Timer). Memory: RSS before the index exists and after each size
(the pool's texts are created before, so they are not in the delta; their own size is
printed apart), and the index's own arrays counted directly.

    python bench/bench_scale.py [--sizes 10000,100000,1000000]
"""
from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from alpaca_gen.similarity import NearDuplicateIndex  # noqa: E402
from alpaca_gen.tokenizers import get_tokenizer  # noqa: E402

MB = 1 << 20


def index_bytes(index: NearDuplicateIndex) -> dict[str, int]:
    """The index's own structures (not the texts, which the caller owns), counted directly."""
    seqs = sum(sys.getsizeof(s) for s in index._seqs) + sys.getsizeof(index._seqs)
    postings = sum(p.buffer_info()[1] * p.itemsize + 64 for p in index._postings.values())
    postings += sys.getsizeof(index._postings)
    if index._banded is not None:
        postings += sum(p.buffer_info()[1] * p.itemsize + 64 for p in index._banded.values())
        postings += sys.getsizeof(index._banded)
    arrays = index._lens.nbytes + index._buckets.nbytes + sys.getsizeof(index._len_list) + sys.getsizeof(index.texts)
    tokens = sys.getsizeof(index._chars) + sum(sys.getsizeof(k) + sys.getsizeof(v) for k, v in index._chars.items())
    return {"token strings": seqs, "postings": postings, "lengths, buckets, lists": arrays, "vocabulary": tokens}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--seed", type=int, default=20240611)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    started = time.perf_counter()
    rss_start = common.rss_bytes()
    rows = common.gpteacher_rows()
    material, queries = common.split_held_out(rows)
    source = {row["instruction"]: row["source"] for row in rows}
    with common.Timer() as t:
        pool = common.synthetic_pool(material, max(sizes), seed=args.seed)
    text_bytes = sum(sys.getsizeof(s) for s in pool) + sys.getsizeof(pool)
    print(f"pool of {len(pool):,} distinct instructions from {len(material):,} corpus instructions "
          f"({t.seconds:.1f} s CPU); {len(queries)} held-out queries "
          f"({', '.join(f'{s} {sum(source[q] == s for q in queries)}' for s in ('codegen', 'roleplay', 'toolformer'))})")
    print(f"the pool's texts themselves: {text_bytes / MB:.0f} MB")

    tokenizer = get_tokenizer("rouge")
    gc.collect()
    rss_before = common.rss_bytes()
    index = NearDuplicateIndex(tokenizer, 0.7, similarity_stats=False)
    added = 0
    build_total = 0.0
    results = []
    for size in sizes:
        with common.Timer() as t:
            for text in pool[added:size]:
                index.add(text)
            index.check(queries[0])  # the first query fills the bucket counts of the new entries
        added = size
        build_total += t.seconds
        gc.collect()
        gc.freeze()  # the pool and the index are long-lived: keep the collector off them while timing
        rss = common.rss_bytes()
        own = index_bytes(index)
        times = []
        verdicts = []
        for query in queries:
            start = time.process_time()
            verdict = index.check(query)
            times.append(time.process_time() - start)
            verdicts.append(verdict.duplicate)
        times_us = np.array(times) * 1e6
        dup = np.array(verdicts)
        kept_median = float(np.median(times_us[~dup])) if (~dup).any() else float("nan")
        dup_median = float(np.median(times_us[dup])) if dup.any() else float("nan")
        median = float(np.median(times_us))
        results.append((size, median))
        print(f"\n-- {size:,} entries: built in {t.seconds:.1f} s CPU ({build_total:.1f} s in all)")
        print(f"   memory: RSS +{(rss - rss_before) / MB:,.0f} MB since before the index "
              f"(+{(rss - rss_start) / MB:,.0f} MB with the pool's texts and the corpus); the index's own structures "
              f"{sum(own.values()) / MB:,.0f} MB ({', '.join(f'{k} {v / MB:,.0f}' for k, v in own.items())})")
        print(f"   check, similarity_stats off, {len(queries)} held-out queries: median {median:,.0f} µs, "
              f"p90 {np.percentile(times_us, 90):,.0f} µs, mean {times_us.mean():,.0f} µs, max {times_us.max():,.0f} µs")
        print(f"   {int(dup.sum())} near duplicates (median {dup_median:,.0f} µs), {int((~dup).sum())} would be kept "
              f"(median {kept_median:,.0f} µs)")
        by_source = {}
        for query, us, d in zip(queries, times_us, dup):
            by_source.setdefault(source[query], []).append(us)
        print("   median by source: " + ", ".join(f"{s} {statistics.median(v):,.0f} µs ({len(v)})"
                                                    for s, v in sorted(by_source.items())))
    print("\ngrowth of the median check time: " + " -> ".join(f"{s:,}: {m:,.0f} µs" for s, m in results))
    peak = common.peak_rss_bytes()
    print(f"peak RSS of the whole run: {peak / MB:,.0f} MB; wall time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
