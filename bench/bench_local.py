"""``generate --local``: wall time to N English instructions on the bundled SmolLM2-135M, start included.

Each configuration is one whole `alpaca-gen generate --local` process (model server
started and stopped inside it), run in turn with the same seed; printed: wall seconds
to the target, requests, kept per request, completion tokens per second. Used to pick
the --local defaults (threads, max_tokens, API). The target in issue 10: 10 English
instructions within 3 minutes on a 2-core machine.

    python bench/bench_local.py [--target 10] [--configs default,threads1,max256]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CONFIGS = {
    "default": (),
    "threads1": ("--local_threads", "1"),
    "max384": ("--max_tokens", "384"),
    "max256": ("--max_tokens", "256"),
    "max192": ("--max_tokens", "192"),
    "max128": ("--max_tokens", "128"),
    "chat": ("--api", "chat"),
}


def run(target: int, extra: tuple, seed: int) -> dict:
    with tempfile.TemporaryDirectory() as out:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
        env["PYTHONPATH"] = str(ROOT)
        started = time.monotonic()
        subprocess.run([sys.executable, "-m", "alpaca_gen", "generate", "--local", "--output_dir", out,
                        "--num_instructions_to_generate", str(target), "--seed", str(seed), "--max_requests", "60",
                        "--noprogress", *extra], env=env, check=True, capture_output=True)
        wall = time.monotonic() - started
        summary = json.loads(Path(out, "summary.json").read_text())
        run_ = summary["this_run"]
        return {"wall": wall, "records": summary["records_in_file"], "requests": run_["api_calls"],
                "kept_per_request": run_["kept"] / max(1, run_["api_calls"]),
                "tokens_per_s": run_["completion_tokens"] / max(1e-9, run_["elapsed_seconds"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--target", type=int, default=10)
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    for name in args.configs.split(","):
        r = run(args.target, CONFIGS[name], args.seed)
        print(f"[{name}] {r['records']}/{args.target} English instructions in {r['wall']:.0f} s wall (model start included), "
              f"{r['requests']} requests, {r['kept_per_request']:.2f} kept per request, "
              f"{r['tokens_per_s']:.0f} completion tokens/s", flush=True)


if __name__ == "__main__":
    main()
