"""Commit cost of regen.json as the file grows: alpaca-gen's store vs Stanford's rewrite.

Stanford rewrote the whole file (json.dump, indent 4) after every request, so a
commit costs O(N). alpaca-gen appends to a spare inode and renames it into place,
O(batch). Both are measured side by side in one run, at 1,000 and 100,000
records, committing batches of 20 records; ratios are what to read.

    python bench/bench_store.py [--records 100000] [--batches 20]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from alpaca_gen.store import RegenStore


def make_record(i: int) -> dict:
    return {
        "instruction": f"Explain in two sentences why step {i} of the recipe matters for the final dish.",
        "input": "" if i % 3 else f"Step {i}: fold the egg whites into the batter gently.",
        "output": "Folding keeps the air in the egg whites, so the cake rises and stays light. " * 2,
        "most_similar_instructions": {f"Seed instruction number {k}": 0.1 * k for k in range(10)},
        "avg_similarity_score": 0.123,
        "provenance": {"lang": "en", "model": "bench", "api": "completions", "request": i, "prompt": 0, "seed_task_ids": ["a", "b", "c"]},
    }


def stanford_commit(path: Path, records: list[dict]) -> None:
    with open(path, "w") as f:  # utils.jdump: json.dump(obj, f, indent=4, default=str)
        json.dump(records, f, indent=4, default=str)


def measure(size: int, batches: int, batch: int = 20) -> tuple[float, float, int]:
    records = [make_record(i) for i in range(size)]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "ours").mkdir()
        (tmp / "ours" / "regen.json").write_text(json.dumps(records, indent=4, ensure_ascii=False))
        os.sync()
        store = RegenStore(tmp / "ours")
        store.open()
        ours, theirs = [], []
        stanford = list(records)
        batches_of_records = [[make_record(size + b * batch + k) for k in range(batch)] for b in range(batches)]
        # One phase after the other, each starting from a clean page cache state, so that
        # the hundreds of MB Stanford's rewrites leave dirty do not slow our fsyncs.
        os.sync()
        store.commit(batches_of_records[0], {"next_request": 1})  # warm-up: flushes the copy made at open
        for b, new in enumerate(batches_of_records[1:], start=2):
            t0 = time.perf_counter()
            store.commit(new, {"next_request": b})
            ours.append(time.perf_counter() - t0)
        os.sync()
        for new in batches_of_records:
            stanford.extend(new)
            t0 = time.perf_counter()
            stanford_commit(tmp / "stanford.json", stanford)
            theirs.append(time.perf_counter() - t0)
        file_size = (tmp / "ours" / "regen.json").stat().st_size
        assert len(json.loads((tmp / "ours" / "regen.json").read_text())) == size + batches * batch
        store.close()
    return statistics.median(ours), statistics.median(theirs), file_size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--batches", type=int, default=20)
    args = parser.parse_args()
    rows = []
    for size in (1_000, args.records):
        ours, theirs, nbytes = measure(size, args.batches)
        rows.append((size, ours, theirs, nbytes))
        print(f"{size:>8} records ({nbytes / 1e6:6.1f} MB): alpaca-gen commit {ours * 1e3:7.2f} ms, "
              f"Stanford rewrite {theirs * 1e3:8.1f} ms, ratio {theirs / ours:7.1f}x", flush=True)
    (small, o1, t1, _), (large, o2, t2, _) = rows
    print(f"growth from {small:,} to {large:,} records: alpaca-gen x{o2 / o1:.2f}, Stanford x{t2 / t1:.1f}")


if __name__ == "__main__":
    main()
