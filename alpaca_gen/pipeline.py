"""``generate``: seeds → prompts → answer source → parse → rules → similarity → store.

Rounds are sent concurrently but processed and committed strictly in round order,
and the prompt of every request depends only on (seed, request number), so a run
killed and resumed writes the same regen.json as one that never stopped, and the
output does not depend on --concurrency (for a deterministic server).

The pieces are parameters: the store (a :class:`~alpaca_gen.store.RegenStore`),
the answer source (the live client by default, with any HTTP client), so a test
can run the whole pipeline in-process.
"""
from __future__ import annotations

import asyncio
import dataclasses
import contextlib
import os
import random
import signal
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

from . import prompts as prompt_mod
from .answers import AnswerSource
from .client import OPENAI_BASE_URL, Endpoint, RequestClient, where_requests_go
from .config import GenerateConfig, with_local_defaults
from .errors import AlpacaGenError, Interrupted, UsageError, redact
from .estimate import estimate_lines
from .gate import RecordGate
from .local import default_threads, resolve_model, serve_for_run
from .ordered import max_time_deadline, run_in_order
from .progress import Progress
from .rejects import RejectsFile
from .resources import default_seed_tasks_path
from .rounds import AnsweredRound, RoundProcessor, RoundPrompt, sample_prompt_seeds
from .scheduler import RoundScheduler
from .seeds import SeedTask, load_seed_tasks, seeds_for_lang
from .similarity import NearDuplicateIndex
from .state import RunInfo, RunLog, RunState, RunStats
from .store import RegenStore
from .summary import RunOutcome, record_run
from .tokenizers import tokenizer_for


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Generator:
    """One ``generate`` run. Build with a config; call :meth:`run`."""

    def __init__(self, config: GenerateConfig, *, store: RegenStore | None = None, source: AnswerSource | None = None,
                 http_client=None, out=None, err=None):
        config.validate()
        # --local: a model of our own, checked before anything is written or sent.
        self.local_model = resolve_model(config.local_model) if config.runs_locally else None
        if self.local_model is not None:
            config = with_local_defaults(config)
            if config.lang == "ko" and not self.local_model.writes_korean:
                raise UsageError(
                    f"--local runs the bundled {self.local_model.name}, which writes no Korean, so a Korean run would "
                    "spend minutes on answers the Korean rules drop; pass --local_model PATH.gguf with a model that "
                    "writes Korean, or --base_url of a server running one"
                )
        if config.batch:  # a batch costs a share of the list price, in the budget and the summary alike
            self.list_prices = (config.price_in, config.price_out)
            given = config.given
            config = dataclasses.replace(config, price_in=config.price_in * config.batch_discount,
                                         price_out=config.price_out * config.batch_discount)
            config.given = given
        self.config = config
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.model = config.model
        self.base_url = config.base_url or os.environ.get("OPENAI_BASE_URL") or None
        self.api_key = config.api_key or os.environ.get("OPENAI_API_KEY") or ""
        if self.local_model is not None:  # our own server: no endpoint from the environment, no key sent to it
            self.base_url, self.api_key, self.model = None, "", self.local_model.name
        self.store = store
        self.source = source
        self.http_client = http_client
        self._batch = None  # the batch source of a --batch run
        self.seed_path = Path(config.seed_tasks_path) if config.seed_tasks_path else default_seed_tasks_path()
        all_seeds = load_seed_tasks(self.seed_path)
        self.seeds = seeds_for_lang(all_seeds, config.lang, cross_lang=config.cross_lang_seeds, path=self.seed_path)
        self.cross_lang = any(s.lang != config.lang for s in self.seeds)
        if len(self.seeds) < config.num_prompt_instructions:
            raise UsageError(
                f"--num_prompt_instructions is {config.num_prompt_instructions} but {self.seed_path} has only "
                f"{len(self.seeds)} {config.lang} seed tasks"
            )
        self.template = prompt_mod.load_template(config.lang, config.prompt_path)
        self.stats = RunStats()
        self._progress: Progress | None = None
        self._rejects: RejectsFile | None = None  # --save_rejects

    # -- helpers ---------------------------------------------------------------------------
    def warn(self, message: str) -> None:
        line = "alpaca-gen: " + redact(message, (self.api_key,))
        if self._progress is not None:
            self._progress.write(line)
        else:
            print(line, file=self.err, flush=True)

    def render(self, seeds: list[SeedTask]) -> str:
        if self.config.api == "chat":
            return prompt_mod.render_chat_prompt(self.template, seeds, cross_lang=self.cross_lang)
        return prompt_mod.render_completion_prompt(self.template, seeds, cross_lang=self.cross_lang)

    def round_prompts(self, round_number: int, size: int, seed: int, start: int = 0) -> list[RoundPrompt]:
        batch = self.config.request_batch_size
        out = []
        for position in range(start, start + size):
            examples = sample_prompt_seeds(self.seeds, seed, round_number * batch + position, self.config.num_prompt_instructions)
            out.append(RoundPrompt(examples, self.render(examples)))
        return out

    def _settings(self, seed: int, tokenizer: str) -> dict:
        """What a runs.jsonl line says about how the run was made (never the key)."""
        cfg = self.config
        return {
            "model": self.model, "api": cfg.api, "base_url": redact(self.base_url or OPENAI_BASE_URL, (self.api_key,)),
            "lang": cfg.lang, "seed": seed, "target": cfg.num_instructions_to_generate,
            "request_batch_size": cfg.request_batch_size, "num_prompt_instructions": cfg.num_prompt_instructions,
            "temperature": cfg.temperature, "top_p": cfg.top_p, "max_tokens": cfg.max_tokens,
            "concurrency": cfg.concurrency, "similarity_threshold": cfg.similarity_threshold,
            "tokenizer": tokenizer,
            "prompt": cfg.prompt_path or f"shipped prompts/{cfg.lang}.txt",
            "seed_tasks": str(cfg.seed_tasks_path or "shipped seed_tasks.jsonl"),
            **({"local_model": str(self.local_model.path), "local_threads": cfg.local_threads or default_threads()}
               if self.local_model is not None else {}),
        }

    # -- dry run -------------------------------------------------------------------------------
    def dry_run(self) -> dict:
        seed = self.config.seed if self.config.seed is not None else 0
        seed_note = "" if self.config.seed is not None else " (no --seed: a real run picks a random seed and remembers it; shown with seed 0)"
        state = RegenStore(self.config.output_dir).peek_state()
        round_number = state.next_request if state else 0
        if state is not None and self.config.seed is None and state.seed is not None:
            seed = state.seed
            seed_note = " (the seed this output was started with)"
        elif state is not None and state.seed not in (None, self.config.seed):
            seed_note = f" (not the seed {state.seed} this output was started with; a real run warns)"
        where = where_requests_go(self.config, self.base_url, self.api_key)
        print(f"# dry run: nothing is sent. {self.config.api} API at {where}, model {self.model}", file=self.out)
        print(
            f"# max_tokens {self.config.max_tokens}, temperature {self.config.temperature}, top_p {self.config.top_p}, "
            f"stop {prompt_mod.stop_sequences(self.template)!r}, seed {seed}{seed_note}",
            file=self.out,
        )
        prompts = self.round_prompts(round_number, self.config.request_batch_size, seed)
        for position, prompt in enumerate(prompts):
            ids = ", ".join(t.id for t in prompt.examples)
            print(f"\n===== request {round_number}, prompt {position} (seed tasks: {ids}) =====", file=self.out)
            print(prompt.text, file=self.out)
        cfg = self.config
        lines, numbers = estimate_lines(
            texts=[p.text for p in prompts], model=self.model, api=cfg.api, list_prompts=self.local_model is None,
            request_batch_size=cfg.request_batch_size, target=cfg.num_instructions_to_generate,
            existing=state.records if state else 0, max_tokens=cfg.max_tokens, price_in=cfg.price_in,
            price_out=cfg.price_out, batch=cfg.batch, runs=RunLog(cfg.output_dir).read(),
        )
        print("\n" + "\n".join(lines), file=self.out)
        return {"dry_run": True, "prompts": len(prompts), **numbers}

    # -- the run ---------------------------------------------------------------------------------
    def run(self) -> dict:
        if self.config.dry_run:
            return self.dry_run()
        if not self.api_key and not self.base_url and self.source is None and self.local_model is None:
            raise UsageError(
                "no API key: set OPENAI_API_KEY or pass --api_key (or --local to run the bundled model; "
                "for a server such as vLLM, llama.cpp or Ollama pass --base_url; it needs no key)"
            )
        store = self.store or RegenStore(self.config.output_dir)
        store.open()
        try:
            with self._local_server(store):
                return self._run_with_store(store)
        finally:
            store.close()

    @contextlib.contextmanager
    def _local_server(self, store: RegenStore):
        """--local: start our own model server for the run, and stop it whatever ends the run."""
        if self.local_model is None or self.source is not None or self._target_reached(store):
            yield None  # no server needed, or nothing left to ask it
            return
        # Room for the longest of 32 sample prompts and the completion.
        longest = max(len(p.text.encode("utf-8")) // 2 for p in self.round_prompts(0, 32, 0))
        with serve_for_run(self.local_model, self.config, longest_prompt_tokens=longest,
                           log_path=store.state_dir / "local-server.log", warn=self.warn) as server:
            self.base_url = server.base_url
            yield server

    def _target_reached(self, store: RegenStore) -> bool:
        return len(store.records) >= self.config.num_instructions_to_generate

    def _resume_seed(self, state: RunState) -> int:
        cfg = self.config
        if cfg.seed is not None:
            if state.seed not in (None, cfg.seed):
                self.warn(f"--seed {cfg.seed} differs from the seed {state.seed} this output was started with: the "
                          f"rounds from request {state.next_request} on use {cfg.seed}, so no single seed reproduces "
                          f"the file; drop --seed to go on with {state.seed}")
            return cfg.seed
        return state.seed if state.seed is not None else random.SystemRandom().randrange(2**31)

    def _run_with_store(self, store: RegenStore) -> dict:
        cfg = self.config
        state = store.state
        if state.lang and state.lang != cfg.lang:
            raise UsageError(
                f"{store.path} was generated with --lang {state.lang}; resume it with --lang {state.lang} "
                "or choose another --output_dir"
            )
        if store.recovered_state:
            self.warn(f"no run state matching {store.path}; continuing after its last recorded request")
        if store.recovered_run:
            self.warn("the previous run ended without a summary; its numbers up to its last commit are in runs.jsonl")
        seed = self._resume_seed(state)
        if (store.records or state.next_request or state.next_prompt) and not self._target_reached(store):
            self.warn(f"resuming {store.path}: {len(store.records)} of {cfg.num_instructions_to_generate} records "
                      f"there, next request {state.next_request}"
                      + (f" from its prompt {state.next_prompt}" if state.next_prompt else "") + f", seed {seed}")
        earlier = state.totals
        # A smaller limit learned from a context-length error is kept.
        max_tokens = state.max_tokens if state.max_tokens is not None and state.max_tokens < cfg.max_tokens else cfg.max_tokens
        tokenizer = tokenizer_for(cfg.lang, cfg.tokenizer)
        processor = self._processor(store, tokenizer)
        if cfg.save_rejects:
            processor.rejects = []
            self._rejects = RejectsFile(cfg.save_rejects, refuse=(store.path,))
        run = RunInfo(uuid.uuid4().hex[:12], "generate", _now(), len(store.records), self._settings(seed, tokenizer.name),
                      self.stats)
        started = time.monotonic()
        try:
            stopped_because, interrupted = self._generate(store, processor, run, seed, earlier, max_tokens, started)
        except AlpacaGenError as exc:
            # A refusal or a server that stays down: the run's numbers so far still go into the
            # totals and runs.jsonl, then the error is reported as usual.
            self._close_run(store, run, earlier, seed, started, f"stopped by an error: {redact(str(exc), (self.api_key,))}",
                            report=False)
            raise
        summary = self._close_run(store, run, earlier, seed, started, stopped_because)
        if interrupted is not None:
            raise Interrupted(interrupted)
        return summary

    def _processor(self, store: RegenStore, tokenizer) -> RoundProcessor:
        cfg = self.config
        index = NearDuplicateIndex(tokenizer, cfg.similarity_threshold, similarity_stats=cfg.similarity_stats)
        for task in self.seeds:
            index.add(task.instruction)
        for record in store.records:
            index.add(record.instruction)
        gate = RecordGate(cfg.lang, prompt_mod.shipped_prompt_texts() + [self.template.header])
        return RoundProcessor(
            lang=cfg.lang, api=cfg.api, model=self.model, num_prompt_instructions=cfg.num_prompt_instructions,
            index=index, gate=gate, funnel=self.stats.funnel, similarity_stats=cfg.similarity_stats, warn=self.warn,
        )

    def _generate(self, store, processor, run, seed, earlier, max_tokens, started) -> tuple[str, int | None]:
        """The rounds, with the progress bar or lines: why the run stopped, and the signal that stopped it."""
        cfg = self.config
        target = cfg.num_instructions_to_generate
        usage = self.stats.usage
        self._progress = Progress(
            total=target, initial=len(store.records), unit="instr", desc="kept", what="kept", dropped_as="dropped",
            show_bar=cfg.progress, log_every=cfg.log_every_seconds, err=self.err, started=started,
            deadline=max_time_deadline(cfg, started), max_requests=cfg.max_requests,
            cost=(lambda: usage.cost(cfg.price_in, cfg.price_out)) if cfg.price_in or cfg.price_out else None,
        )
        try:
            if len(store.records) >= target:
                held = (f"{len(store.records)} records, more than the target {target}" if len(store.records) > target
                        else f"the {target} records of the target")
                return f"{store.path.name} already has {held}; nothing to do", None
            return self._answer_rounds(store, processor, run, seed, target, earlier, max_tokens)
        finally:
            self._progress.close()
            self._progress = None
            if self._rejects is not None:
                self._rejects.close()

    def _close_run(self, store, run, earlier, seed, started, stopped_because, *, report: bool = True) -> dict:
        """Totals into the run state, then summary.json, the runs.jsonl line and the printed
        summary (after an error, only the totals and the runs.jsonl line: the error says the rest)."""
        cfg = self.config
        totals = earlier.merged(self.stats)
        u = self.stats.usage
        if u.rounds or u.unused_rounds or u.abandoned_calls or u.cut_short_calls:
            # Tokens of rounds answered but not committed were paid for too: keep them in the
            # totals. The run stays in the state until its runs.jsonl line is written: a kill
            # in between leaves the next run to write that line from the state.
            final = store.state
            final.totals, final.run = totals, run
            run.updated = _now()
            store.commit([], final)
        outcome = RunOutcome(
            output=str(store.path), records_in_file=len(store.records), target=cfg.num_instructions_to_generate,
            stopped_because=stopped_because, lang=cfg.lang, model=self.model, api=cfg.api, seed=seed,
            run_id=run.run_id, elapsed=time.monotonic() - started, this_run=self.stats, all_runs=totals,
            price_in=cfg.price_in, price_out=cfg.price_out,
        )
        summary = outcome.as_dict()
        if self._batch is not None:
            summary["batch"] = self._batch_numbers(summary)
        record_run(store, run, summary, ended=_now(), stopped_because=stopped_because, report=report)
        if report:
            print("\n".join(outcome.lines()), file=self.out, flush=True)
            if self._batch is not None:
                b = summary["batch"]
                cost = (f"; ${b['cost_usd']:.4f} at the batch price, ${b['cost_at_list_price_usd']:.4f} at list price"
                        if b.get("cost_usd") is not None else "")
                print(f"  batch: {b['batches_created']} batches created, {b['requests_submitted']} requests submitted, "
                      f"{b['expired_lines']} expired and {b['error_lines']} failed lines resubmitted{cost}",
                      file=self.out, flush=True)
        return summary

    def _batch_numbers(self, summary: dict) -> dict:
        b = self._batch
        out = {"batches_created": b.batches_created, "requests_submitted": b.requests_submitted,
               "expired_lines": b.expired_lines, "error_lines": b.error_lines, "discount": self.config.batch_discount}
        cost = summary["this_run"].get("cost_usd")
        if cost is not None:
            out["cost_usd"] = cost
            out["cost_at_list_price_usd"] = round(cost / self.config.batch_discount, 6) if self.config.batch_discount else None
        return out

    def _make_source(self, max_tokens: int, store: RegenStore) -> AnswerSource:
        if self.source is not None:
            return self.source
        endpoint = Endpoint(self.model, self.base_url, self.api_key, self.config.api, prompt_mod.stop_sequences(self.template))
        if self.config.batch:
            return self._batch_source(endpoint, max_tokens, store)
        # llama.cpp's server takes one prompt per request: ours is known not to take lists.
        return RequestClient(endpoint, self.config, max_tokens=max_tokens, warn=self.warn, http_client=self.http_client,
                             list_prompts=self.local_model is None)

    def _batch_source(self, endpoint: Endpoint, max_tokens: int, store: RegenStore) -> AnswerSource:
        from .batch.api import BatchAPI
        from .batch.ledger import BatchLedger
        from .batch.source import BatchSource, RequestSettings

        cfg = self.config
        api = BatchAPI(api_key=endpoint.api_key, base_url=endpoint.base_url or OPENAI_BASE_URL,
                       http_client=self.http_client, timeout=cfg.request_timeout, retries=cfg.max_retries)
        settings = RequestSettings(cfg.api, endpoint.model, cfg.temperature, cfg.top_p, list(endpoint.stop))
        self._batch = BatchSource(api, BatchLedger(store.state_dir), settings, max_tokens=max_tokens,
                                  poll_interval=cfg.batch_poll_interval, max_retries=cfg.max_retries, warn=self.warn,
                                  on_status=self._show_batch, cancel_on_close=cfg.batch_cancel)
        return self._batch

    def _show_batch(self, batch: dict) -> None:
        """The batch's status and request counts on the progress bar and lines."""
        if self._progress is not None:
            self._progress.show_batch(batch)

    def _answer_rounds(self, store, processor, run, seed, target, earlier, max_tokens) -> tuple[str, int | None]:
        holder = {}
        progress = self._progress
        progress.in_flight = lambda: holder["source"].in_flight if "source" in holder else 0

        def make_rounds() -> RoundScheduler:
            source = holder["source"] = self._make_source(max_tokens, store)
            batch = self.config.request_batch_size
            # A chat round cut short by --max_requests resumes at its first unsent prompt.
            return RoundScheduler(self.config, source, self.stats, self.round_prompts, seed=seed,
                                  next_round=store.state.next_request,
                                  start=store.state.next_prompt if 0 <= store.state.next_prompt < batch else 0)

        return run_in_order(
            make_rounds, self.stats, remaining=lambda: target - len(store.records), on_sent=progress.set_sent,
            commit=lambda finished: self._commit_rounds(store, processor, run, finished, seed, target, earlier,
                                                        holder["source"]),
            on_tick=progress.tick, tick_every=progress.tick_every, deadline=progress.deadline,
        )

    def _commit_rounds(self, store, processor, run, rounds: list[AnsweredRound], seed, target, earlier, source) -> None:
        """Process finished rounds in request order and commit them to regen.json together.

        ``rounds`` are consecutive. One commit (one append, one fsync) covers all of
        them: when responses arrive faster than one commit takes, the rounds that
        queued up meanwhile share the next commit instead of each paying for its own.
        """
        kept = []
        used = len(rounds)
        for position, answered in enumerate(rounds):
            room = target - len(store.records) - len(kept)
            if room <= 0:
                # An earlier round of this batch reached the target. Like rounds still in
                # flight when a run ends, these were paid for but are not used, and the run
                # state stays right after the target's round, so a later run with a higher
                # target asks for them again and the data matches one uninterrupted run.
                for unused in rounds[position:]:
                    self.stats.usage.unused_rounds += 1  # its usage was counted when it came in
                used = position
                break
            self.stats.usage.rounds += 1
            kept.extend(processor.process(answered, room))
        last = rounds[used - 1]
        done = last.first + len(last.prompts)
        finished = done >= self.config.request_batch_size
        run.updated = _now()
        state = RunState(
            next_request=last.number + 1 if finished else last.number, next_prompt=0 if finished else done,
            seed=seed, lang=self.config.lang, max_tokens=source.max_tokens, totals=earlier.merged(self.stats), run=run,
        )
        store.commit(kept, state)
        if self._rejects is not None:
            self._rejects.write(processor.rejects, run.run_id)
            processor.rejects.clear()
        if self._progress is not None:
            # Counted here, in the thread that changes the funnel: the event loop only reads the number.
            self._progress.set_dropped(sum(self.stats.funnel.dropped().values()))
            self._progress.add_done(len(kept))


def generate(config: GenerateConfig | None = None, **flags) -> dict:
    """Run generation; returns the summary. Library entry point behind ``alpaca-gen generate``.

    ``flags`` are options by name (``output_dir=..., lang="ko"``); given with a
    ``config`` they replace its values."""
    if config is None:
        config = GenerateConfig.from_flags(**flags)
    elif flags:
        config = config.with_flags(**flags)
    return Generator(config).run()
