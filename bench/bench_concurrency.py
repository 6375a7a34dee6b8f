"""Throughput against a slow server, and the client's CPU per request.

1. The fake OpenAI server (tests/fakeserver.py) answers every request after 250 ms.
   96 requests are sent with --concurrency 32 and with --concurrency 1, whole
   `alpaca-gen generate` processes timed side by side. Printed beside them, from the
   same run against the same server:
   - the openai client alone (no alpaca-gen: 32 coroutines sending the same prompt),
     which is the most any program built on that client can reach here;
   - the time `import openai` takes, which both whole-process figures include, and the
     whole-process ratio it allows even with a request loop that costs nothing;
   - a longer run (480 requests), where the start-up of the client weighs less.
2. CPU spent per request on parsing, filtering, de-duplication and the commit, with a
   pool of 10,000 records, measured with time.process_time around the pipeline's commit
   step (waiting on the server is not counted). The pool and the candidates are real
   instructions (GPTeacher, from ../shared) when available, else a synthetic pool.

    python bench/bench_concurrency.py
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

LATENCY = 0.25
CONCURRENCY = 32
REQUESTS = 96
LONG_REQUESTS = 480
IDEAL_RATE = CONCURRENCY / LATENCY


def start_server(latency: float) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "fakeserver.py"), "--port", "0", "--latency", str(latency)],
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().split()
    return proc, line[1]


def timed_run(url: str, concurrency: int, requests: int, extra: tuple = ()) -> tuple[float, float]:
    """(whole process, request loop) seconds of one `alpaca-gen generate`."""
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


async def plain_requests(url: str, prompt: str, concurrency: int, requests: int) -> None:
    """``requests`` chat calls through the plain ``AsyncOpenAI`` client, ``concurrency`` at a time."""
    import asyncio

    import openai

    client = openai.AsyncOpenAI(api_key="sk-bench", base_url=url, max_retries=0)
    gate = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with gate:
            await client.chat.completions.create(model="fake", messages=[{"role": "user", "content": prompt}],
                                                 max_tokens=3072)

    await asyncio.gather(*(one() for _ in range(requests)))
    await client.close()


def bare_client(url: str, concurrency: int, requests: int, prompt_file: str) -> None:
    """The openai client alone: a plain script that imports nothing else, prints its loop seconds."""
    import asyncio

    prompt = Path(prompt_file).read_text(encoding="utf-8")

    async def main() -> float:
        started = time.monotonic()
        await plain_requests(url, prompt, concurrency, requests)
        return time.monotonic() - started

    print(json.dumps({"loop": asyncio.run(main())}))


def timed_bare(url: str, concurrency: int, requests: int) -> tuple[float, float]:
    """(whole process, request loop) seconds of the openai client alone, sending alpaca-gen's first prompt."""
    from alpaca_gen.pipeline import GenerateConfig, Generator

    with tempfile.TemporaryDirectory() as out:
        prompt = Generator(GenerateConfig(output_dir=out, api="chat", seed=1)).round_prompts(0, 1, 1)[0].text
        prompt_file = Path(out, "prompt.txt")
        prompt_file.write_text(prompt, encoding="utf-8")
        t0 = time.perf_counter()
        result = subprocess.run([sys.executable, __file__, "--bare", url, str(concurrency), str(requests), str(prompt_file)],
                                check=True, capture_output=True, text=True)
        return time.perf_counter() - t0, json.loads(result.stdout)["loop"]


def import_seconds() -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import openai"], check=True)
    return time.perf_counter() - t0


def realistic_texts() -> tuple[list[str], str] | None:
    try:
        from common import gpteacher
        texts = gpteacher()
    except (SystemExit, OSError):
        return None
    return [" ".join(t.split()) for t in texts], "GPTeacher instructions"


def cpu_per_request(*, similarity_stats: bool, pool: int = 10_000, rounds: int = 40) -> tuple[float, str, int, int]:
    """Client CPU seconds per request for rounds of one chat completion of 17 tasks each:
    the commit step of a run (parse, gate, de-duplication, regen.json), nothing else."""
    from alpaca_gen.answers import Choice, RoundResult
    from alpaca_gen.pipeline import GenerateConfig, Generator
    from alpaca_gen.rounds import AnsweredRound
    from alpaca_gen.state import RunInfo, RunStats
    from alpaca_gen.store import RegenStore
    from alpaca_gen.tokenizers import tokenizer_for

    found = realistic_texts()
    if found is not None and len(found[0]) >= pool + 17 * rounds:
        texts, source = found
        pool_texts, fresh = texts[:pool], texts[pool:pool + 17 * rounds]
    else:
        source = "a synthetic pool (../shared not found)"
        pool_texts = [f"Describe step {i} of assembling flat-pack furniture number {i * 7919 % 100003}." for i in range(pool)]
        fresh = [f"Explain how {w} number {i} differs from the usual kind of {w}." for i in range(17 * rounds)
                 for w in ("a bridge",)]
    completions = []
    for r in range(rounds):
        tasks = fresh[17 * r:17 * (r + 1)]
        completions.append("".join(f"{4 + k}. Instruction: {t}\n{4 + k}. Input:\n<noinput>\n{4 + k}. Output:\n"
                                   f"A short answer to task {4 + k}, in two sentences. It ends here.\n###\n"
                                   for k, t in enumerate(tasks)))

    class _Source:
        max_tokens = 3072

    with tempfile.TemporaryDirectory() as out:
        config = GenerateConfig(output_dir=out, num_instructions_to_generate=10**9, api="chat", request_batch_size=1,
                                seed=5, similarity_stats=similarity_stats)
        gen = Generator(config)
        records = [{"instruction": t, "input": "", "output": "x"} for t in pool_texts]
        Path(out, "regen.json").write_text(json.dumps(records, indent=4))
        store = RegenStore(out)
        store.open()
        processor = gen._processor(store, tokenizer_for("en"))
        run = RunInfo("bench", "generate", "", len(records), {}, gen.stats)
        t0 = time.process_time()
        for k, text in enumerate(completions):
            answered = AnsweredRound(k, 0, gen.round_prompts(k, 1, 5), RoundResult([Choice(text, "stop")], api_calls=1))
            gen._commit_rounds(store, processor, run, [answered], 5, 10**9, RunStats(), _Source())
        spent = time.process_time() - t0
        store.close()
        return spent / rounds, source, gen.stats.funnel.candidates, gen.stats.kept


def request_layer_cpu(url: str, requests: int = LONG_REQUESTS) -> tuple[float, float]:
    """Client CPU per request of the request layer alone, both ways in this process, in turn:
    the plain ``AsyncOpenAI`` call (which builds the SDK's pydantic models from each response)
    and alpaca-gen's ``RequestClient.answer`` (raw body, decoded by ``decode_response``)."""
    import asyncio

    from alpaca_gen.client import Endpoint, RequestClient
    from alpaca_gen.config import RequestOptions
    from alpaca_gen.pipeline import GenerateConfig, Generator

    with tempfile.TemporaryDirectory() as out:
        prompt = Generator(GenerateConfig(output_dir=out, api="chat", seed=1)).round_prompts(0, 1, 1)[0].text

    async def plain() -> None:
        await plain_requests(url, prompt, CONCURRENCY, requests)

    async def ours() -> None:
        client = RequestClient(Endpoint("fake", url, "sk-bench", "chat"), RequestOptions(concurrency=CONCURRENCY))
        await asyncio.gather(*(client.answer([prompt]) for _ in range(requests)))
        await client.close()

    cpu = {"plain": [], "ours": []}
    for _ in range(3):
        for name, coro in (("plain", plain), ("ours", ours)):
            t0 = time.process_time()
            asyncio.run(coro())
            cpu[name].append((time.process_time() - t0) / requests)
    return statistics.median(cpu["plain"]), statistics.median(cpu["ours"])


def main() -> None:
    server, url = start_server(LATENCY)
    try:
        floor = statistics.median(import_seconds() for _ in range(3))
        for label, extra in (("similarity stats on", ()), ("similarity stats off", ("--nosimilarity_stats",))):
            (fast, fast_loop), (slow, slow_loop) = timed_run(url, CONCURRENCY, REQUESTS, extra), timed_run(url, 1, REQUESTS, extra)
            bare, bare_loop = timed_bare(url, CONCURRENCY, REQUESTS)
            print(f"[{label}] {REQUESTS} requests, {LATENCY * 1e3:.0f} ms latency: concurrency {CONCURRENCY} {fast:.2f} s, "
                  f"concurrency 1 {slow:.2f} s: whole-process ratio {slow / fast:.1f}x; "
                  f"request loop {fast_loop:.2f} s vs {slow_loop:.2f} s, ratio {slow_loop / fast_loop:.1f}x")
            print(f"[{label}] requests/s at {CONCURRENCY}: alpaca-gen {REQUESTS / fast_loop:.1f} in the request loop "
                  f"({REQUESTS / fast_loop / IDEAL_RATE:.0%} of the ideal {IDEAL_RATE:.0f}/s), {REQUESTS / fast:.1f} whole process; "
                  f"the openai client alone {REQUESTS / bare_loop:.1f} ({REQUESTS / bare_loop / IDEAL_RATE:.0%}), "
                  f"{REQUESTS / bare:.1f} whole process; alpaca-gen/openai alone: {bare_loop / fast_loop:.0%}")
        print(f"`import openai` takes {floor:.2f} s; with it, even a request loop that costs nothing gives a "
              f"whole-process ratio of at most {(slow_loop + floor) / (REQUESTS / IDEAL_RATE + floor):.1f}x")
        ours, plain = [], []
        for _ in range(3):  # in turn, so both meet the same machine
            ours.append(timed_run(url, CONCURRENCY, LONG_REQUESTS)[1])
            plain.append(timed_bare(url, CONCURRENCY, LONG_REQUESTS)[1])
        long_loop, long_bare = statistics.median(ours), statistics.median(plain)
        print(f"{LONG_REQUESTS} requests at {CONCURRENCY}, median of 3 in turn: alpaca-gen {LONG_REQUESTS / long_loop:.1f}/s in "
              f"the request loop ({LONG_REQUESTS / long_loop / IDEAL_RATE:.0%} of ideal); the openai client alone "
              f"{LONG_REQUESTS / long_bare:.1f}/s ({LONG_REQUESTS / long_bare / IDEAL_RATE:.0%}); "
              f"alpaca-gen/openai alone: {long_bare / long_loop:.2f}x (target >= 1.0)")
    finally:
        server.terminate()
        server.wait()
    fast_server, fast_url = start_server(0.0)
    try:
        plain_cpu, our_cpu = request_layer_cpu(fast_url)
        print(f"request-layer CPU per request, {LONG_REQUESTS} chat requests at {CONCURRENCY}, median of 3 in turn: "
              f"the openai client alone {plain_cpu * 1e3:.2f} ms, alpaca-gen's {our_cpu * 1e3:.2f} ms: "
              f"{our_cpu / plain_cpu:.2f}x (target <= 1.1)")
    finally:
        fast_server.terminate()
        fast_server.wait()
    for stats in (True, False):
        runs = [cpu_per_request(similarity_stats=stats) for _ in range(3)]
        cpu = statistics.median(run[0] for run in runs)
        _, source, candidates, kept = runs[0]
        print(f"client CPU per request (parse, filter, dedup{' with stats' if stats else ''}, commit), 10,000-record pool of "
              f"{source}: {cpu * 1e3:.2f} ms, median of 3 (min {min(r[0] for r in runs) * 1e3:.2f}; "
              f"{candidates} candidates, {kept} kept, 40 requests)")


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--bare":
        bare_client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    else:
        main()
