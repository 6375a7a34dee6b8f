"""``alpaca-gen respond`` over 52,000 records against a zero-latency fake, beside the plain openai client.

Both send the same 52,000 chat requests (respond's own system messages and tasks, half
English and half Korean) to the same fake server process (tests/fakeserver.py
--responder answer, no latency), 32 in flight, in the same run, one after the other
and then again in the other order:

- the plain ``openai`` client: 32 coroutines, ``AsyncOpenAI.chat.completions.create``,
  nothing else (no retries, no writing);
- ``alpaca-gen respond --concurrency 32``: the whole command, reading the input,
  judging every answer with the quality rules and committing OUT in input order.

Printed: requests per second of each and their ratio (target ≥ 1.0×), and the CPU
time of each process per answered record (user + system, from the children's rusage).
The fake server runs on the same two cores, so absolute rates mean little; the ratio,
measured side by side, is the figure.

    python bench/bench_respond.py [--records 52000]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CONCURRENCY = 32

_EN = ("Summarise the note below in one sentence.", "Write a polite reply to this message.",
       "List three risks of the plan below.", "Turn these figures into a short table.")
_KO = ("아래 메모를 한 문장으로 요약해 주세요.", "이 메시지에 공손하게 답장을 써 주세요.",
       "아래 계획의 위험 요소를 세 가지 적어 주세요.", "다음 숫자를 짧은 표로 정리해 주세요.")


def make_records(n: int) -> list[dict]:
    out = []
    for i in range(n):
        if i % 2:
            out.append({"instruction": _KO[i % 4] + f" ({i}번)", "input": f"{i}번 항목: 판매량이 {i % 97}% 늘었습니다.",
                        "output": ""})
        else:
            out.append({"instruction": _EN[i % 4] + f" (item {i})", "input": f"Item {i}: sales rose {i % 97}%.",
                        "output": "old"})
    return out


def start_server() -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "fakeserver.py"), "--port", "0", "--latency", "0",
                             "--responder", "answer"], stdout=subprocess.PIPE, text=True)
    return proc, proc.stdout.readline().split()[1]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def plain_client(url: str, messages_file: str) -> None:
    """The openai client alone, sending every request of the file, 32 at a time."""
    import openai

    bodies = json.loads(Path(messages_file).read_text(encoding="utf-8"))

    async def main() -> None:
        client = openai.AsyncOpenAI(api_key="sk-bench", base_url=url, max_retries=0)
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(messages) -> None:
            async with gate:
                await client.chat.completions.create(model="fake", messages=messages, max_tokens=1024, temperature=0.7)

        await asyncio.gather(*(one(m) for m in bodies))
        await client.close()

    asyncio.run(main())


def timed(cmd: list[str], env: dict) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one child process."""
    cpu0, t0 = children_cpu(), time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    return time.perf_counter() - t0, children_cpu() - cpu0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=52_000)
    parser.add_argument("--plain", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plain:
        plain_client(*args.plain)
        return
    from alpaca_gen.records import Record
    from alpaca_gen.respond.prompts import load_answer_prompts

    records = make_records(args.records)
    prompts = load_answer_prompts("chat")
    messages = []
    for i, r in enumerate(records):
        prompt = prompts.render(Record(r["instruction"], r["input"], r["output"]), "ko" if i % 2 else "en")
        messages.append([{"role": "system", "content": prompt.system}, {"role": "user", "content": str(prompt)}])
    server, url = start_server()
    env = dict(os.environ, OPENAI_API_KEY="sk-bench", PYTHONPATH=str(ROOT))
    results = {"plain": [], "respond": []}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "data.json"
            data.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
            bodies = Path(tmp) / "messages.json"
            bodies.write_text(json.dumps(messages, ensure_ascii=False), encoding="utf-8")
            for order in (("plain", "respond"), ("respond", "plain")):
                for name in order:
                    if name == "plain":
                        cmd = [sys.executable, __file__, "--plain", url, str(bodies)]
                    else:
                        out = Path(tmp) / f"out-{len(results['respond'])}.json"
                        cmd = [sys.executable, "-m", "alpaca_gen", "respond", str(data), "--output", str(out),
                               "--base_url", url, "--model_name", "fake", "--concurrency", str(CONCURRENCY),
                               "--progress", "false"]
                    wall, cpu = timed(cmd, env)
                    results[name].append((wall, cpu))
                    if name == "respond":
                        written = json.loads(out.read_text(encoding="utf-8"))
                        assert len(written) == len(records) and all(r["provenance"]["respond"] for r in written)
                    print(f"{name:8s} {wall:7.1f} s wall  {len(records) / wall:7.0f} requests/s  "
                          f"{cpu / len(records) * 1000:.3f} ms CPU per record", flush=True)
    finally:
        server.terminate()
        server.wait()
    for k in range(2):
        (pw, pc), (rw, rc) = results["plain"][k], results["respond"][k]
        print(f"pair {k + 1}: respond's request rate {pw / rw:.2f}x the plain client's; CPU per record "
              f"{rc / len(records) * 1000:.3f} ms vs {pc / len(records) * 1000:.3f} ms")


if __name__ == "__main__":
    main()
