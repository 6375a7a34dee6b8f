"""The record gate's cost: ``check`` over 52,000 records, and what the quality rules add per candidate.

1. 52,000 English records from a run against the fake server (tests/fakeserver.py,
   no latency), cached under $TMPDIR/alpaca-gen-bench. The fake writes from a small
   vocabulary, so the ROUGE-L filter would stop it at a few hundred distinct tasks:
   the run uses --similarity_threshold 1.0 (nothing is a near duplicate), which keeps
   Stanford's per-record statistics and the file's size realistic. ``alpaca-gen check`` runs on
   them as a user runs it (``--output`` and ``--flagged`` written), pinned to one
   core; its CPU time and peak memory come from the kernel (getrusage of the child).
   Target: under 15 s, under 1 GB.
2. The generate path's extra CPU per candidate: the same answered rounds go through
   the round processor with the quality rules and without them, round by round in
   turn; the difference of their CPU time divided by the candidates. Target: under 50 µs.

    python bench/bench_check.py [--records 52000]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from alpaca_gen import prompts as prompt_mod  # noqa: E402
from alpaca_gen.answers import Choice, RoundResult  # noqa: E402
from alpaca_gen.funnel import Funnel  # noqa: E402
from alpaca_gen.gate import RecordGate  # noqa: E402
from alpaca_gen.rounds import AnsweredRound, RoundProcessor, RoundPrompt  # noqa: E402
from alpaca_gen.similarity import NearDuplicateIndex  # noqa: E402
from alpaca_gen.tokenizers import tokenizer_for  # noqa: E402
from fakeserver import format_completion_text, generate_tasks  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "alpaca-gen-bench"


def env() -> dict:
    out = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "HTTP", "http"))}
    out["PYTHONPATH"] = str(ROOT)
    return out


def make_records(count: int, lang: str = "en") -> Path:
    """regen.json with ``count`` records from a fake-server run (kept between runs of this script)."""
    out = CACHE / (f"regen-{count}" if lang == "en" else f"regen-{lang}-{count}")
    regen = out / "regen.json"
    if regen.exists() and len(json.loads(regen.read_bytes())) == count:
        return regen
    server = subprocess.Popen([sys.executable, str(ROOT / "tests" / "fakeserver.py"), "--port", "0", "--latency", "0"],
                              stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().split()[-1]
        started = time.monotonic()
        subprocess.run([sys.executable, "-m", "alpaca_gen", "generate", "--output_dir", str(out), "--base_url", url,
                        "--api_key", "sk-bench", "--request_batch_size", "8", "--concurrency", "32",
                        "--similarity_threshold", "1.0",
                        "--num_instructions_to_generate", str(count), "--seed", "52", "--noprogress", "--lang", lang],
                       check=True, env=env(), stdout=subprocess.DEVNULL)
        print(f"made {count} records in {time.monotonic() - started:.0f}s: {regen} ({regen.stat().st_size / 1e6:.1f} MB)")
    finally:
        server.terminate()
        server.wait()
    return regen


def time_check(regen: Path) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MB) of ``alpaca-gen check`` on one core."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    subprocess.run(["taskset", "-c", "0", sys.executable, "-m", "alpaca_gen", "check", str(regen),
                    "--output", str(regen.with_name("clean.json")), "--flagged", str(regen.with_name("flagged.jsonl"))],
                   check=True, env=env(), stdout=subprocess.DEVNULL)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss / 1024


class NoQuality(RecordGate):
    """The gate with the field rules only: what the generate path cost before the quality rules."""

    def judge(self, record, *, every_reason=False):
        from alpaca_gen.filters import drop_reason
        from alpaca_gen.gate import GateResult
        from alpaca_gen.quality import Finding

        reason = drop_reason(record, self.lang)
        return GateResult(record, [("fields", Finding(reason, "instruction", "drop"))] if reason else [])


def answered_rounds(lang: str, count: int) -> list[AnsweredRound]:
    rounds = []
    for number in range(count):
        tasks = generate_tasks(f"bench {lang} {number}", 4, lang == "ko")
        text = format_completion_text(tasks, 4)
        rounds.append(AnsweredRound(number, 0, [RoundPrompt([], "")], RoundResult([Choice(text, "stop")], api_calls=1)))
    return rounds


def _processor(lang: str, gate: RecordGate) -> RoundProcessor:
    index = NearDuplicateIndex(tokenizer_for(lang), 0.7, similarity_stats=False)
    return RoundProcessor(lang=lang, api="completions", model="m", num_prompt_instructions=3, index=index,
                          gate=gate, funnel=Funnel(), similarity_stats=False, warn=lambda m: None)


def per_candidate_cost(lang: str, passes: int = 3) -> None:
    """Both variants process the same rounds, one round each in turn (which goes first
    alternates), so a noisy neighbour slows both alike; CPU time summed per variant."""
    rounds = answered_rounds(lang, 300)
    texts = prompt_mod.shipped_prompt_texts()
    gates = {"with": RecordGate(lang, texts), "without": NoQuality(lang, texts)}
    cpu = {"with": 0.0, "without": 0.0}
    candidates = 0
    for _ in range(passes):
        processors = {name: _processor(lang, gate) for name, gate in gates.items()}
        for number, answered in enumerate(rounds):
            order = ("with", "without") if number % 2 else ("without", "with")
            for name in order:
                started = time.process_time()
                processors[name].process(answered, 10**9)
                cpu[name] += time.process_time() - started
        candidates += processors["with"].funnel["parse"].passed
    with_rules, without = cpu["with"] / candidates * 1e6, cpu["without"] / candidates * 1e6
    print(f"[{lang}] generate path, {candidates} candidates: {with_rules:.1f} µs per candidate with the quality rules, "
          f"{without:.1f} µs without: the rules add {with_rules - without:.1f} µs per candidate (target < 50)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--records", type=int, default=52_000)
    args = parser.parse_args()
    regen = make_records(args.records)
    runs = [time_check(regen) for _ in range(3)]
    wall, cpu, rss = (statistics.median(values) for values in zip(*runs))
    print(f"check on {args.records} records ({regen.stat().st_size / 1e6:.0f} MB regen.json), one core, median of 3: "
          f"{cpu:.1f} s CPU, {wall:.1f} s wall, peak RSS {rss:.0f} MB (targets: < 15 s, < 1 GB)")
    for lang in ("en", "ko"):
        per_candidate_cost(lang)


if __name__ == "__main__":
    main()
