"""What ``eval judge`` reports when it ends, and prints for --dry_run."""
from __future__ import annotations

from collections import Counter

from ..client import where_requests_go
from ..respond.estimate import approx_tokens
from ..summary import stop_lines, this_run_line
from .stats import win_rate


def tally(lines: list[dict]) -> Counter:
    return Counter(line.get("winner") for line in lines)


def score_line(label_a: str, label_b: str, counts: Counter) -> str:
    """``A 90 : B 89 : tie 73``, with the names."""
    return f"{label_a} {counts['a']} : {label_b} {counts['b']} : tie {counts['tie']}"


class JudgeOutcome:
    def __init__(self, judge, store, totals, elapsed: float, stopped: str):
        self.judge, self.store, self.totals, self.elapsed, self.stopped = judge, store, totals, elapsed, stopped
        self.lines_written = [r.source for r in store.records if r.source is not None]

    def as_dict(self) -> dict:
        j, usage = self.judge, self.judge.stats.usage
        counts = tally(self.lines_written)
        decided = [line["winner"] for line in self.lines_written if line.get("winner") in ("a", "b", "tie")]
        run = self.judge.stats.as_dict()
        run["elapsed_seconds"] = round(self.elapsed, 3)
        run["requests_per_second"] = round(usage.api_calls / self.elapsed, 3) if self.elapsed > 0 else 0.0
        o = j.options
        if o.price_in or o.price_out:
            run["cost_usd"] = round(usage.cost(o.price_in, o.price_out), 6)
        return {
            "command": "eval judge", "output": str(self.store.path), "judge": j.model, "model_a": j.a.label,
            "model_b": j.b.label, "items": j.item_count, "judged": len(self.lines_written),
            "wins_a": counts["a"], "wins_b": counts["b"], "ties": counts["tie"], "unparsed": counts["unparsed"],
            "inconsistent": sum(1 for line in self.lines_written if not line.get("consistent") and line.get("winner") == "tie"),
            "win_rate_a": win_rate(decided), "stopped_because": self.stopped, "this_run": run,
        }

    def lines(self) -> list[str]:
        d = self.as_dict()
        usage = self.judge.stats.usage
        out = [
            f"alpaca-gen: {self.stopped}; {d['judged']} of {d['items']} items judged by {d['judge']} in {d['output']}",
            f"  {score_line(d['model_a'], d['model_b'], tally(self.lines_written))} ({d['inconsistent']} ties from "
            f"verdicts that changed with the order, {d['unparsed']} unparsed)",
            this_run_line(usage, self.elapsed, tokens=False),
        ]
        out += [f"  {line}" for line in self.judge.stats.funnel.lines()]
        out += stop_lines(usage, target_reached=False, asked_again="; their items are asked again next run")
        out.append(f"  'alpaca-gen eval summary {d['output']}' gives the win rate with its interval")
        return out


def print_judge_dry_run(judge, out) -> dict:
    o = judge.options
    where = where_requests_go(o, judge.base_url, judge.api_key)
    print(f"# dry run: nothing is sent. Judge {judge.model} ({o.api} API at {where}); {judge.item_count} items, "
          f"2 requests each (both orders)", file=out)
    prompts = judge.prompts_for(0)
    print(f"\n===== item {judge.pairs[0].id}, {judge.a.label} first =====\n{prompts[0]}", file=out)
    tokens = sum(approx_tokens(p) for k in judge.selected for p in judge.prompts_for(k))
    print(f"\n# prompt tokens ≈ {tokens:,}; completion tokens at most {2 * judge.item_count * o.max_tokens:,}", file=out)
    return {"dry_run": True, "items": judge.item_count, "prompt_tokens": tokens}
