"""A job over a file of items: each item is one round of prompts, answered through the
request layer, turned into lines of an output file, written in item order.

``respond`` (one prompt per record), ``eval answer`` (the same, over an eval set) and
``eval judge`` (two prompts per pair of answers, one per order) are jobs. The base
class owns what they share: the endpoint (or ``--local``'s server, or the Batch API),
the ordered loop of :mod:`alpaca_gen.ordered`, the output's
:class:`~alpaca_gen.store.RecordStore` (complete at every instant, committed with its
run state), the check that a resumed run has the same input and recipe
(:mod:`alpaca_gen.respond.identity`), the progress bar, summary.json and runs.jsonl.
A subclass says what the items are, what each asks, and what each answer becomes.
"""
from __future__ import annotations

import bisect
import dataclasses
import os
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import ClassVar

from .answers import AnswerSource
from .client import OPENAI_BASE_URL, Endpoint, RequestClient
from .config import RequestOptions, with_local_defaults
from .errors import AlpacaGenError, Interrupted, UsageError, redact
from .funnel import Funnel
from .local import resolve_model, serve_for_run
from .ordered import max_time_deadline, run_in_order
from .progress import Progress
from .identity import InputIdentity
from .rounds import AnsweredRound, RoundPrompt
from .scheduler import RoundScheduler
from .state import RunInfo, RunState, RunStats
from .store import STATE_DIR, RecordStore
from .summary import record_run


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def state_dir_for(output: Path, command: str = "respond") -> Path:
    """An output's run state, ledger, summary and runs.jsonl: beside it, out of the way of generate's."""
    return output.parent / STATE_DIR / f"{command}-{output.name}"


class RecordJob:
    """Subclasses set the class attributes and implement the hooks below :meth:`run`."""

    COMMAND: ClassVar[str] = "respond"
    FUNNEL: ClassVar[type[Funnel]] = Funnel
    UNIT: ClassVar[str] = "answer"
    #: The funnel stages whose drops the progress shows as failed (None: every stage).
    FAILED: ClassVar[tuple[str, ...] | None] = None

    def __init__(self, options: RequestOptions, *, source: AnswerSource | None = None, http_client=None,
                 out=None, err=None):
        options.validate()
        self.local_model = resolve_model(options.local_model) if options.runs_locally else None
        if self.local_model is not None:
            options = with_local_defaults(options)
        if options.batch:  # a batch costs a share of the list price, in the budget and the summary alike
            given = options.given
            options = dataclasses.replace(options, price_in=options.price_in * options.batch_discount,
                                          price_out=options.price_out * options.batch_discount)
            options.given = given
        self.options = options
        self.out, self.err = out or sys.stdout, err or sys.stderr
        self.source, self.http_client = source, http_client
        self.model = options.model
        self.base_url = options.base_url or os.environ.get("OPENAI_BASE_URL") or None
        self.api_key = options.api_key or os.environ.get("OPENAI_API_KEY") or ""
        if self.local_model is not None:
            self.base_url, self.api_key, self.model = None, "", self.local_model.name
        self.stats = RunStats(funnel=self.FUNNEL())
        self.batch = None
        self._progress: Progress | None = None
        # Set by the subclass: where the lines go and in which format, and which items to ask about.
        self.output: Path
        self.format = "jsonl"
        self.selected: list[int] = []
        self.item_count = 0

    # -- hooks --------------------------------------------------------------------------------
    def prompts_for(self, position: int) -> list[str]:
        """The prompts of item ``position`` (one round)."""
        raise NotImplementedError

    def build(self, position: int, answered: AnsweredRound, run_id: str) -> list:
        """What item ``position``'s answers become in the output (records or dicts), counted in the funnel."""
        raise NotImplementedError

    def passthrough(self, start: int, stop: int) -> list:
        """The output lines of items ``start``..``stop`` that are not asked about."""
        return []

    def identity(self) -> InputIdentity:
        """The input's record hashes and the recipe a resumed run must share."""
        raise NotImplementedError

    def settings(self) -> dict:
        o = self.options
        return {"model": self.model, "api": o.api, "base_url": redact(self.base_url or OPENAI_BASE_URL, (self.api_key,)),
                "max_tokens": o.max_tokens, "temperature": o.temperature, "top_p": o.top_p,
                "concurrency": o.concurrency, "batch": o.batch}

    def stop_sequences(self) -> list[str]:
        return []

    def outcome(self, store: RecordStore, run: RunInfo, totals: RunStats, elapsed: float, stopped: str):
        """An object with ``as_dict()`` and ``lines()``: summary.json and the printed summary."""
        raise NotImplementedError

    def dry_run(self) -> dict:
        raise NotImplementedError

    # -- helpers --------------------------------------------------------------------------------
    def warn(self, message: str) -> None:
        line = "alpaca-gen: " + redact(message, (self.api_key,))
        if self._progress is not None:
            self._progress.write(line)
        else:
            print(line, file=self.err, flush=True)

    def round_prompts(self, round_number: int, size: int, seed: int, start: int = 0) -> list[RoundPrompt]:
        return [RoundPrompt([], text) for text in self.prompts_for(self.selected[round_number])]

    def answered_rounds(self, store: RecordStore) -> int:
        """How many asked-about items the output already holds: those before the next position."""
        return bisect.bisect_left(self.selected, store.state.next_request)

    # -- the run --------------------------------------------------------------------------------
    def run(self) -> dict:
        if self.options.dry_run:
            return self.dry_run()
        if not self.api_key and not self.base_url and self.source is None and self.local_model is None:
            raise UsageError("no API key: set OPENAI_API_KEY or pass --api_key (or --local to run the bundled model; "
                             "for a server such as vLLM, llama.cpp or Ollama pass --base_url; it needs no key)")
        store = RecordStore(self.output, state_dir_for(self.output, self.COMMAND), fmt=self.format, funnel=self.FUNNEL)
        store.open()
        try:
            self._check_identity(store)
            if self.local_model is None or self.source is not None or self.answered_rounds(store) >= len(self.selected):
                return self._run_with_store(store)  # no server needed, or nothing left to ask it
            longest = max((sum(len(p.encode("utf-8")) for p in self.prompts_for(k)) // 2 for k in self.selected[:200]),
                          default=0)
            with serve_for_run(self.local_model, self.options, longest_prompt_tokens=longest,
                               log_path=store.state_dir / "local-server.log", warn=self.warn) as server:
                self.base_url = server.base_url
                return self._run_with_store(store)
        finally:
            store.close()

    def _check_identity(self, store: RecordStore) -> None:
        current = self.identity()
        saved = InputIdentity.load(store.state_dir)
        if saved is None:
            if store.records:
                raise UsageError(f"{self.output} exists but was not written by {self.COMMAND} (no "
                                 f"{store.state_dir}/input.json); move it away or choose another --output")
            current.save(store.state_dir)
            return
        saved.refuse_if_changed(current, self.output, self.locations())

    def locations(self) -> list[str]:
        return [f"item {k}" for k in range(self.item_count)]

    def _run_with_store(self, store: RecordStore) -> dict:
        state = store.state
        if store.recovered_state:
            self.warn(f"no run state matching {store.path}; continuing after its last line")
        if store.recovered_run:
            self.warn(f"the previous run ended without a summary; its numbers up to its last commit are in {store.runs.path}")
        earlier = state.totals
        o = self.options
        max_tokens = state.max_tokens if state.max_tokens is not None and state.max_tokens < o.max_tokens else o.max_tokens
        run = RunInfo(uuid.uuid4().hex[:12], self.COMMAND, now(), len(store.records), self.settings(), self.stats)
        started = time.monotonic()
        done = self.answered_rounds(store)
        if done and done < len(self.selected):
            self.warn(f"resuming {store.path}: {state.next_request} of {self.item_count} items written, "
                      f"{done} of {len(self.selected)} {self.UNIT}s in it")
        try:
            stopped, interrupted = self._answer(store, run, earlier, max_tokens, done, started)
        except AlpacaGenError as exc:
            self._close_run(store, run, earlier, started, f"stopped by an error: {redact(str(exc), (self.api_key,))}",
                            report=False)
            raise
        summary = self._close_run(store, run, earlier, started, stopped)
        if interrupted is not None:
            raise Interrupted(interrupted)
        return summary

    def _answer(self, store, run, earlier, max_tokens, done, started) -> tuple[str, int | None]:
        o = self.options
        usage = self.stats.usage
        self._progress = progress = Progress(
            total=len(self.selected), initial=done, unit=self.UNIT, desc="done", what=f"{self.UNIT}s written",
            dropped_as="failed", show_bar=o.progress, log_every=o.log_every_seconds, err=self.err, started=started,
            deadline=max_time_deadline(o, started), max_requests=o.max_requests,
            cost=(lambda: usage.cost(o.price_in, o.price_out)) if o.price_in or o.price_out else None,
        )
        try:
            if done >= len(self.selected):
                self._commit(store, run, earlier, [], max_tokens)  # nothing to ask: the rest passes unchanged
                return (f"every {self.UNIT} written" if self.selected else "nothing selected"), None
            holder = {}
            progress.in_flight = lambda: holder["source"].in_flight if "source" in holder else 0

            def make_rounds() -> RoundScheduler:
                source = holder["source"] = self._make_source(max_tokens, store)
                return RoundScheduler(o, source, self.stats, self.round_prompts, seed=0, next_round=done, start=0,
                                      last_round=len(self.selected))

            stopped, signum = run_in_order(
                make_rounds, self.stats, on_sent=progress.set_sent,
                remaining=lambda: len(self.selected) - self.answered_rounds(store),
                commit=lambda finished: self._commit(store, run, earlier, finished, holder["source"].max_tokens),
                on_tick=progress.tick, tick_every=progress.tick_every, deadline=progress.deadline,
            )
            return (f"every {self.UNIT} written" if stopped == "target reached" else stopped), signum
        finally:
            progress.close()
            self._progress = None

    def _make_source(self, max_tokens: int, store: RecordStore) -> AnswerSource:
        if self.source is not None:
            return self.source
        o = self.options
        endpoint = Endpoint(self.model, self.base_url, self.api_key, o.api, self.stop_sequences())
        if not o.batch:
            return RequestClient(endpoint, o, max_tokens=max_tokens, warn=self.warn, http_client=self.http_client,
                                 list_prompts=False)
        from .batch.api import BatchAPI
        from .batch.ledger import BatchLedger
        from .batch.source import BatchSource, RequestSettings

        api = BatchAPI(api_key=self.api_key, base_url=self.base_url or OPENAI_BASE_URL, http_client=self.http_client,
                       timeout=o.request_timeout, retries=o.max_retries)
        settings = RequestSettings(o.api, self.model, o.temperature, o.top_p, list(endpoint.stop))
        self.batch = BatchSource(api, BatchLedger(store.state_dir), settings, max_tokens=max_tokens,
                                 poll_interval=o.batch_poll_interval, max_retries=o.max_retries, warn=self.warn,
                                 on_status=self._show_batch, cancel_on_close=o.batch_cancel)
        return self.batch

    # -- committing (in the worker thread) -----------------------------------------------------
    def _commit(self, store: RecordStore, run: RunInfo, earlier: RunStats, finished: list[AnsweredRound],
                max_tokens: int) -> None:
        """Write the answered items, with the items not asked about before them (and after the
        last one), in item order, with the run state: one commit."""
        position = store.state.next_request
        lines: list = []
        for answered in finished:
            target = self.selected[answered.number]
            lines.extend(self.passthrough(position, target))
            lines.extend(self.build(target, answered, run.run_id))
            position = target + 1
            self.stats.usage.rounds += 1
        if not finished or finished[-1].number == len(self.selected) - 1:
            lines.extend(self.passthrough(position, self.item_count))
            position = self.item_count
        run.updated = now()
        state = RunState(next_request=position, max_tokens=max_tokens, totals=earlier.merged(self.stats), run=run)
        store.commit(lines, state)
        if self._progress is not None:
            # Counted here, in the thread that changes the funnel: the event loop only reads the number.
            self._progress.set_dropped(self.failures())
            self._progress.add_done(len(finished))

    def failures(self) -> int:
        stages = self.stats.funnel.stages
        return sum(stages[name].dropped_total for name in (self.FAILED or tuple(stages)))

    def _show_batch(self, batch: dict) -> None:
        if self._progress is not None:
            self._progress.show_batch(batch)

    def _close_run(self, store: RecordStore, run: RunInfo, earlier: RunStats, started: float, stopped: str, *,
                   report: bool = True) -> dict:
        totals = earlier.merged(self.stats)
        final = store.state
        final.totals, final.run = totals, run
        run.updated = now()
        store.commit([], final)
        outcome = self.outcome(store, run, totals, time.monotonic() - started, stopped)
        summary = outcome.as_dict()
        record_run(store, run, summary, ended=now(), stopped_because=stopped, report=report)
        if report:
            print("\n".join(outcome.lines()), file=self.out, flush=True)
        return summary
