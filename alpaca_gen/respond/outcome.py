"""What a ``respond`` run reports: summary.json in OUT's state folder, and the lines printed."""
from __future__ import annotations

from dataclasses import dataclass

from ..state import RunStats
from ..summary import stop_lines, this_run_line
from ..text import plural


@dataclass
class RespondOutcome:
    output: str
    input_records: int
    written: int  # input records OUT has been written up to (answered, failed or passed on)
    records_in_file: int
    selected: int
    answered: int  # selected records OUT holds the answers of (this run's and earlier runs')
    stopped_because: str
    model: str
    api: str
    run_id: str
    elapsed: float
    this_run: RunStats
    all_runs: RunStats
    price_in: float = 0.0
    price_out: float = 0.0
    state_dir: str = ""

    def as_dict(self) -> dict:
        run = self.this_run.as_dict()
        usage = self.this_run.usage
        run["elapsed_seconds"] = round(self.elapsed, 3)
        run["requests_per_second"] = round(usage.api_calls / self.elapsed, 3) if self.elapsed > 0 else 0.0
        totals = self.all_runs.as_dict()
        if self.price_in or self.price_out:
            run["cost_usd"] = round(usage.cost(self.price_in, self.price_out), 6)
            answers = self.this_run.funnel["answers"].entered
            run["cost_per_answer_usd"] = round(run["cost_usd"] / answers, 6) if answers else None
            totals["cost_usd"] = round(self.all_runs.usage.cost(self.price_in, self.price_out), 6)
        return {
            "command": "respond", "output": self.output, "input_records": self.input_records,
            "written": self.written, "records_in_file": self.records_in_file, "selected": self.selected,
            "passed_on_unchanged": self.written_unselected, "stopped_because": self.stopped_because,
            "model": self.model, "api": self.api, "run_id": self.run_id, "this_run": run, "all_runs": totals,
        }

    @property
    def written_unselected(self) -> int:
        return self.written - self.answered

    def lines(self) -> list[str]:
        usage = self.this_run.usage
        lines = [
            f"alpaca-gen: {self.stopped_because}; {self.output} has {self.written} of {self.input_records} input records "
            f"({self.answered} of {self.selected} answers, {self.written_unselected} passed on unchanged)",
            this_run_line(usage, self.elapsed),
        ]
        lines += [f"  {line}" for line in self.this_run.funnel.lines()]
        summary = self.as_dict()
        run = summary["this_run"]
        if "cost_usd" in run:
            per = run["cost_per_answer_usd"]
            lines.append(f"  cost ${run['cost_usd']:.4f}" + (f", ${per:.5f} per answer" if per is not None else "")
                         + f"; all runs ${summary['all_runs']['cost_usd']:.4f}")
        failed = self.this_run.funnel["answers"].dropped_total + self.this_run.funnel["quality"].dropped_total
        if failed:
            where = "left out (--drop_failed)" if self.this_run.funnel["written"].dropped_total else \
                "written with the reason in provenance.respond.failed"
            lines.append(f"  {plural(failed, 'failed answer')} {where}")
        lines += stop_lines(usage, target_reached=False, asked_again="; their records are asked again next run")
        lines.append(f"  run state, summary.json and runs.jsonl: {self.state_dir}")
        return lines
