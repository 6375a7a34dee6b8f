"""Throughput against a slow server, and the client's CPU per request.

1. The fake OpenAI server (tests/fakeserver.py) answers every request after
   250 ms. 96 requests are sent with --concurrency 32 and with --concurrency 1,
   whole `alpaca-gen generate` processes timed side by side; the ratio and the
   requests/s at 32 (ideal: 32 / 0.25 s = 128/s) are printed.
2. CPU spent per request on parsing, filtering, de-duplication and the commit,
   with a pool of 10,000 records, measured with time.process_time around the
   pipeline's commit step (waiting on the server is not counted).

    python bench/bench_concurrency.py
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def start_server(latency: float) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "fakeserver.py"), "--port", "0", "--latency", str(latency)],
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().split()
    return proc, line[1]


def timed_run(url: str, concurrency: int, requests: int, extra: tuple = ()) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as out:
        env = dict(os.environ, OPENAI_API_KEY="sk-bench", PYTHONPATH=str(ROOT))
        cmd = [sys.executable, "-m", "alpaca_gen", "generate", "--output_dir", out, "--base_url", url,
               "--model_name", "fake", "--api", "chat", "--request_batch_size", "1", "--max_requests", str(requests),
               "--num_instructions_to_generate", "1000000", "--concurrency", str(concurrency), "--seed", "1", *extra]
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        elapsed = time.perf_counter() - t0
        summary = json.loads((Path(out) / "summary.json").read_text())
        assert summary["this_run"]["api_calls"] == requests, summary
        return elapsed, summary["this_run"]["elapsed_seconds"]


def cpu_per_request(pool: int = 10_000, rounds: int = 40) -> float:
    import asyncio

    from alpaca_gen.client import Choice, RoundResult
    from alpaca_gen import pipeline as _p
    GenerateConfig, Generator = _p.GenerateConfig, _p.Generator
    from alpaca_gen.store import RegenStore
    from alpaca_gen.similarity import NearDuplicateIndex
    from alpaca_gen.tokenizers import tokenizer_for
    from fakeserver import default_responder

    with tempfile.TemporaryDirectory() as out:
        config = GenerateConfig(output_dir=out, num_instructions_to_generate=10**9, api="chat", request_batch_size=1, seed=5)
        gen = Generator(config)
        records = [{"instruction": f"Describe step {i} of assembling flat-pack furniture number {i * 7919 % 100003}.", "input": "", "output": "x"}
                   for i in range(pool)]
        Path(out, "regen.json").write_text(json.dumps(records, indent=4))
        store = RegenStore(out)
        store.open()
        index = NearDuplicateIndex(tokenizer_for("en"), 0.7, similarity_stats=config.similarity_stats)
        for task in gen.seeds:
            index.add(task.instruction)
        for r in records:
            index.add(r["instruction"])
        from alpaca_gen.pipeline import RunStats

        class _Client:
            max_tokens = 3072

        results = []
        for k in range(rounds):
            prompts = gen.round_prompts(k, 1, 5)
            reply = default_responder(prompts[0][1], {"model": "fake", "max_tokens": 3072})
            text = reply.text if hasattr(reply, "text") else str(reply)
            results.append((prompts, RoundResult(choices=[Choice(text, "stop")], api_calls=1)))
        t0 = time.process_time()
        for k, (prompts, result) in enumerate(results):
            gen._commit_round(store, index, k, 0, prompts, result, 5, 10**9, RunStats(), _Client())
        spent = time.process_time() - t0
        store.close()
        return spent / rounds


def main() -> None:
    server, url = start_server(0.25)
    try:
        for label, extra in (("similarity stats on", ()), ("similarity stats off", ("--nosimilarity_stats",))):
            (fast, fast_loop), (slow, slow_loop) = timed_run(url, 32, 96, extra), timed_run(url, 1, 96, extra)
            print(f"[{label}] 96 requests, 250 ms latency: concurrency 32 {fast:.2f} s, concurrency 1 {slow:.2f} s: "
                  f"whole-process ratio {slow / fast:.1f}x; request loop only {fast_loop:.2f} s vs {slow_loop:.2f} s, "
                  f"ratio {slow_loop / fast_loop:.1f}x")
            print(f"[{label}] requests/s at 32: {96 / fast:.1f} whole process, {96 / fast_loop:.1f} in the request loop "
                  f"(ideal 128/s: {96 / fast_loop / 128:.0%})")
        start, _ = timed_run(url, 32, 1, ("--dry_run",)) if False else (0.0, 0.0)
    finally:
        server.terminate()
        server.wait()
    cpu = cpu_per_request()
    print(f"client CPU per request (parse, filter, dedup with stats, commit) with a 10,000-record pool: {cpu * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
