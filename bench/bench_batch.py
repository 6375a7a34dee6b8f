"""``generate --batch`` for 52,000 instructions against the fake Batch API, beside live mode.

One fake server (tests/fakeserver.py, no latency; its batches finish after three
status checks) answers both runs, one after the other, with the same seed: live
at --concurrency 32, then --batch with --batch_poll_interval 0.01. Each run is a
whole CLI process; its wall and CPU time come from the kernel. The two regen.json
files must be byte for byte the same. Targets (issue 13): the batch run under
3 min, its CPU no more than live mode's. Prints the batches created, the requests
sent, and the cost at list price against the batch price (at gpt-4o-mini's list
prices as of 2026-12: $0.15 / $0.60 per million tokens).

    python bench/bench_batch.py [--records 52000]
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_check import CACHE, ROOT, env  # noqa: E402

PRICES = ("--price_in", "0.15", "--price_out", "0.6")


def timed(args: list[str]) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "alpaca_gen", "generate", *args], env=env(), capture_output=True,
                            text=True)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"generate failed: {result.stderr.strip()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--records", type=int, default=52_000)
    args = parser.parse_args()
    server = subprocess.Popen([sys.executable, str(ROOT / "tests" / "fakeserver.py"), "--port", "0", "--latency", "0"],
                              stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().split()[-1]
        common = ["--base_url", url, "--api_key", "sk-bench", "--request_batch_size", "8", "--similarity_threshold", "1.0",
                  "--num_instructions_to_generate", str(args.records), "--seed", "52", "--noprogress", *PRICES]
        outs = {}
        for name, extra in (("live", ["--concurrency", "32"]), ("batch", ["--batch", "--batch_poll_interval", "0.01"])):
            out = CACHE / f"batch-bench-{name}"
            shutil.rmtree(out, ignore_errors=True)
            wall, cpu, stdout = timed(["--output_dir", str(out), *common, *extra])
            outs[name] = out
            summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
            run = summary["this_run"]
            line = (f"[{name}] {args.records} records: {wall:.1f} s wall, {cpu:.1f} s CPU; "
                    f"{run['api_calls']} requests, cost ${run.get('cost_usd', 0):.2f}")
            if "batch" in summary:
                b = summary["batch"]
                line += (f" at the batch price (${b['cost_at_list_price_usd']:.2f} at list price); "
                         f"{b['batches_created']} batches created, {b['requests_submitted']} requests submitted")
            print(line + (" (target < 180 s)" if name == "batch" else ""), flush=True)
        same = (outs["live"] / "regen.json").read_bytes() == (outs["batch"] / "regen.json").read_bytes()
        print(f"regen.json of both runs identical: {same}")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
