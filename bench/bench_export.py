"""``alpaca-gen export`` on 52,000 records: every format, as a user runs it.

The records are bench_check.py's (a fake-server run, 60 MB regen.json, cached under
$TMPDIR/alpaca-gen-bench). A byte-level BPE tokenizer (16,000 tokens) is trained on
them first with the tokenizers library (not timed). Each export is one whole CLI
process; wall time, CPU time and peak memory come from the kernel. Targets (issue 11):
sft under 60 s and 2 GB, the other formats under 10 s.

    python bench/bench_export.py [--records 52000]
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
from bench_check import CACHE, env, make_records  # noqa: E402

FORMATS = ("alpaca", "jsonl", "messages", "sharegpt", "llama-factory", "parquet", "sft")


def train_tokenizer(regen: Path) -> Path:
    path = CACHE / "bpe-16k" / "tokenizer.json"
    if path.exists():
        return path
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    records = json.loads(regen.read_bytes())
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=16_000, special_tokens=["<unk>", "<s>", "</s>", "<pad>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator((f"{r['instruction']} {r['input']} {r['output']}" for r in records), trainer)
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", tok.token_to_id("<s>"))])
    path.parent.mkdir(parents=True, exist_ok=True)
    tok.save(str(path))
    return path


def timed_export(regen: Path, fmt: str, tokenizer: Path) -> tuple[float, float, float, str]:
    out = CACHE / f"export-{fmt}"
    shutil.rmtree(out, ignore_errors=True)
    extra = ["--tokenizer", str(tokenizer)] if fmt == "sft" else []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "alpaca_gen", "export", str(regen), "--format", fmt, "--output", str(out),
                             "--split", "train=0.95,validation=0.05", *extra], env=env(), check=True, capture_output=True,
                            text=True)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    size = sum(p.stat().st_size for p in out.iterdir()) / 1e6
    return wall, cpu, after.ru_maxrss / 1024, f"{size:.0f} MB; " + result.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--records", type=int, default=52_000)
    args = parser.parse_args()
    regen = make_records(args.records)
    tokenizer = train_tokenizer(regen)
    for fmt in FORMATS:
        wall, cpu, rss, note = timed_export(regen, fmt, tokenizer)
        target = "< 60 s, < 2 GB" if fmt == "sft" else "< 10 s"
        print(f"[{fmt}] {args.records} records: {wall:.1f} s wall, {cpu:.1f} s CPU, peak RSS {rss:.0f} MB "
              f"(target {target}); {note}", flush=True)


if __name__ == "__main__":
    main()
