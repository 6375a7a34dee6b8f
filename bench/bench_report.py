"""``alpaca-gen report`` on 52,000 records, English and Korean, as a user runs it.

The records are fake-server runs (bench_check.py's, cached under
$TMPDIR/alpaca-gen-bench): English, and Korean made with ``--lang ko``. Each
report is one whole CLI process, measured in its own wrapper process so the peak
memory is that report's alone. Targets (issue 12): English without the English
parser (--noverbs) under 60 s, Korean with kiwipiepy under 3 min, memory under
2 GB. The English run with spaCy is printed too, and the Korean verb-object
heuristic's precision on the hand-labelled instructions of tests/data.

    python bench/bench_report.py [--records 52000]
"""
from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_check import CACHE, ROOT, env, make_records  # noqa: E402

_MEASURE = (
    "import resource, subprocess, sys, time\n"
    "t = time.monotonic()\n"
    "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "wall = time.monotonic() - t\n"
    "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "sys.stderr.write(r.stderr)\n"
    "print(wall, u.ru_utime + u.ru_stime, u.ru_maxrss / 1024, r.returncode)\n"
    "print(r.stdout)\n"
)


def timed_report(regen: Path, name: str, *flags: str) -> tuple[float, float, float, str]:
    out = CACHE / f"report-{name}"
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-c", _MEASURE, sys.executable, "-m", "alpaca_gen", "report", str(regen),
               "--output", str(out), *flags]
    result = subprocess.run(command, env=env(), check=True, capture_output=True, text=True)
    first, *rest = result.stdout.splitlines()
    wall, cpu, rss, code = first.split()
    if code != "0":
        raise SystemExit(f"report failed: {result.stderr.strip()}")
    numbers = json.loads((out / "report.json").read_text(encoding="utf-8"))
    size = sum(p.stat().st_size for p in out.iterdir()) / 1e6
    return float(wall), float(cpu), float(rss), f"{len(numbers['figures'])} figures, {size:.1f} MB; " + rest[1].strip()


def korean_precision() -> str:
    from alpaca_gen.report.verbs import KoreanVerbObjects

    rows = list(csv.DictReader((ROOT / "tests" / "data" / "ko_verb_object_gold.tsv").open(encoding="utf-8"),
                               delimiter="\t"))
    pairs = KoreanVerbObjects().pairs([r["instruction"] for r in rows])
    parts = []
    for part in ("tune", "holdout"):
        n = given = correct = 0
        for row, (verb, noun) in zip(rows, pairs):
            if row["set"] != part:
                continue
            n += 1
            if verb and noun:
                given += 1
                correct += (verb in row["verb"].split("/")) and (noun in row["object"].split("/"))
        parts.append(f"{part}: {correct}/{given} pairs right ({correct / given:.1%}), pairs for {given}/{n} instructions")
    return "; ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--records", type=int, default=52_000)
    args = parser.parse_args()
    english = make_records(args.records)
    korean = make_records(args.records, "ko")
    runs = (
        ("English, --noverbs", english, ("--noverbs",), "< 60 s, < 2 GB"),
        ("Korean, kiwipiepy", korean, (), "< 180 s, < 2 GB"),
        ("English, spaCy", english, (), "none set"),
    )
    for name, regen, flags, target in runs:
        wall, cpu, rss, note = timed_report(regen, name.split(",")[0].lower() + ("-noverbs" if flags else ""), *flags)
        print(f"[{name}] {args.records} records: {wall:.1f} s wall, {cpu:.1f} s CPU, peak RSS {rss:.0f} MB "
              f"(target {target}); {note}", flush=True)
    print(f"[Korean verb-object precision, hand labels] {korean_precision()}")


if __name__ == "__main__":
    main()
