"""A run's summary: summary.json, the lines printed at the end, and its runs.jsonl line."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from .state import RunStats
from .text import plural


@dataclass
class RunOutcome:
    """What a finished (or stopped) run reports."""

    output: str
    records_in_file: int
    target: int
    stopped_because: str
    lang: str
    model: str
    api: str
    seed: int
    run_id: str
    elapsed: float
    this_run: RunStats
    all_runs: RunStats
    price_in: float = 0.0
    price_out: float = 0.0

    def as_dict(self) -> dict:
        run = self.this_run.as_dict()
        usage = self.this_run.usage
        run["elapsed_seconds"] = round(self.elapsed, 3)
        run["requests_per_second"] = round(usage.api_calls / self.elapsed, 3) if self.elapsed > 0 else 0.0
        run["kept_per_request"] = round(self.this_run.kept / usage.api_calls, 3) if usage.api_calls else 0.0
        candidates = self.this_run.funnel.candidates
        run["kept_share_of_candidates"] = round(self.this_run.kept / candidates, 3) if candidates else 0.0
        totals = self.all_runs.as_dict()
        if self.price_in or self.price_out:
            cost = usage.cost(self.price_in, self.price_out)
            run["cost_usd"] = round(cost, 6)
            run["cost_per_kept_usd"] = round(cost / self.this_run.kept, 6) if self.this_run.kept else None
            totals["cost_usd"] = round(self.all_runs.usage.cost(self.price_in, self.price_out), 6)
        return {
            "output": self.output, "records_in_file": self.records_in_file, "target": self.target,
            "stopped_because": self.stopped_because, "lang": self.lang, "model": self.model, "api": self.api,
            "seed": self.seed, "run_id": self.run_id, "this_run": run, "all_runs": totals,
        }

    def lines(self) -> list[str]:
        summary = self.as_dict()
        run = summary["this_run"]
        usage = self.this_run.usage
        lines = [
            f"alpaca-gen: {self.stopped_because}; " + (f"{self.records_in_file}/{self.target}" if self.records_in_file <= self.target
                                                        else f"{self.records_in_file}") + f" records in {self.output}",
        ]
        if not (usage.api_calls or usage.abandoned_calls or self.this_run.funnel.lines()):
            return lines  # nothing was sent: a line of zeros would only be noise
        lines.append(this_run_line(usage, self.elapsed))
        lines += [f"  {line}" for line in self.this_run.funnel.lines()]
        if "cost_usd" in run:
            per = run["cost_per_kept_usd"]
            lines.append(
                f"  cost ${run['cost_usd']:.4f}" + (f", ${per:.5f} per kept instruction" if per is not None else "")
                + f"; all runs ${summary['all_runs']['cost_usd']:.4f}"
            )
        lines.append(f"  {run['requests_per_second']:.2f} requests/s, {run['kept_per_request']:.1f} kept per request")
        lines += stop_lines(usage, target_reached=self.stopped_because == "target reached")
        return lines


def this_run_line(usage, elapsed: float, *, tokens: bool = True) -> str:
    """``  this run: 12 requests (1 retry) in 58.2s, 7290 prompt + 1998 completion tokens``."""
    line = f"  this run: {plural(usage.api_calls, 'request')} ({plural(usage.retries, 'retry', 'retries')}) in {elapsed:.1f}s"
    return line + (f", {usage.prompt_tokens} prompt + {usage.completion_tokens} completion tokens" if tokens else "")


def stop_lines(usage, *, target_reached: bool, asked_again: str = "") -> list[str]:
    """Plain words for what a run did not use (only what happened): answered rounds not
    needed or not written, requests cancelled on their way. ``asked_again`` ends the
    line of the cancelled requests ("; their records are asked again next run")."""
    def was(n: int) -> str:
        return "was" if n == 1 else "were"

    lines = []
    n = usage.unused_rounds
    rounds = f"{n} answered round{'' if n == 1 else 's'}"
    if n and target_reached:
        lines.append(f"  {rounds} {was(n)} not needed once the target was reached (their tokens are counted)")
    elif n:
        lines.append(f"  {rounds} came in after the stop and {was(n)} not written (their tokens are counted; the next "
                     "run asks again)")
    n = usage.cut_short_calls
    if n and target_reached:
        lines.append(f"  {plural(n, 'request')} of rounds still under way at the target {was(n)} answered but not "
                     "needed (their tokens are counted)")
    elif n:
        lines.append(f"  {plural(n, 'request')} answered in rounds cut short by the stop {was(n)} not used (their "
                     "tokens are counted; the next run asks again)")
    n = usage.abandoned_calls
    if n:
        lines.append(f"  {n} request{'' if n == 1 else 's'} {was(n)} still on {'its' if n == 1 else 'their'} way and "
                     f"{was(n)} cancelled{asked_again}")
    return lines


def write_summary(directory: Path, summary: dict) -> None:
    path = Path(directory) / "summary.json"
    tmp = path.with_name("summary.json.tmp")
    tmp.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def record_run(store, run, summary: dict, *, ended: str, stopped_because: str, report: bool) -> None:
    """A finished run's files: summary.json in the store's summary folder (unless the run
    ended in an error, which says the rest) and its line in runs.jsonl."""
    if report:
        write_summary(store.summary_dir, summary)
    from .store import run_line

    line = run_line(run, ended=ended, records_after=len(store.records), stopped_because=stopped_because)
    line["elapsed_seconds"] = summary["this_run"]["elapsed_seconds"]
    store.runs.append(line)
