"""``generate``: seeds → prompts → client → parse → filters → similarity → store.

Rounds are sent concurrently but processed and committed strictly in round order,
and the prompt of every request depends only on (seed, request number), so a run
killed and resumed writes the same regen.json as one that never stopped, and the
output does not depend on --concurrency (for a deterministic server).
"""
from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from tqdm import tqdm

from . import prompts as prompt_mod
from .client import OPENAI_BASE_URL, ApiSettings, RequestClient, RoundResult
from .errors import Interrupted, UsageError, redact
from .filters import drop_reason
from .parse import parse_completion
from .resources import default_seed_tasks_path
from .seeds import SeedTask, load_seed_tasks, seeds_for_lang
from .similarity import NearDuplicateIndex
from .store import RegenStore
from .tokenizers import TOKENIZER_NAMES, tokenizer_for

LANGS = ("en", "ko")
DEFAULT_MODEL = {"completions": "gpt-3.5-turbo-instruct", "chat": "gpt-4o-mini"}


@dataclass
class GenerateConfig:
    output_dir: str = "./"
    seed_tasks_path: str | None = None
    num_instructions_to_generate: int = 100
    model_name: str | None = None
    num_prompt_instructions: int = 3
    request_batch_size: int = 5
    temperature: float = 1.0
    top_p: float = 1.0
    num_cpus: int = 16
    lang: str = "en"
    api: str = "completions"
    base_url: str | None = None
    api_key: str | None = None
    max_tokens: int = 3072
    similarity_threshold: float = 0.7
    seed: int | None = None
    concurrency: int = 4
    max_requests: int | None = None
    dry_run: bool = False
    prompt_path: str | None = None
    cross_lang_seeds: bool = False
    tokenizer: str | None = None
    similarity_stats: bool = True
    max_retries: int = 5
    backoff_base: float = 1.0
    request_timeout: float = 300.0
    progress: bool | None = None
    rpm: float | None = None
    tpm: float | None = None
    price_in: float = 0.0
    price_out: float = 0.0
    max_cost: float | None = None

    def validate(self) -> None:
        def integer(name: str, minimum: int, allow_none: bool = False) -> None:
            value = getattr(self, name)
            if value is None and allow_none:
                return
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise UsageError(f"--{name} must be a whole number ≥ {minimum}, got {value!r}")

        def number(name: str, low: float, high: float) -> None:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
                raise UsageError(f"--{name} must be a number from {low:g} to {high:g}, got {value!r}")

        if self.lang not in LANGS:
            raise UsageError(f"--lang must be one of: {', '.join(LANGS)} (got {self.lang!r})")
        if self.api not in DEFAULT_MODEL:
            raise UsageError(f"--api must be 'completions' or 'chat' (got {self.api!r})")
        if self.tokenizer is not None and self.tokenizer not in TOKENIZER_NAMES:
            raise UsageError(f"--tokenizer must be one of: {', '.join(TOKENIZER_NAMES)} (got {self.tokenizer!r})")
        integer("num_instructions_to_generate", 1)
        integer("num_prompt_instructions", 1)
        integer("request_batch_size", 1)
        integer("num_cpus", 1)
        integer("max_tokens", 16)
        integer("concurrency", 1)
        integer("max_requests", 1, allow_none=True)
        integer("max_retries", 0)
        integer("seed", 0, allow_none=True)
        number("temperature", 0, 2)
        number("top_p", 0, 1)
        number("similarity_threshold", 0, 1)
        number("backoff_base", 0, 600)
        number("request_timeout", 0.001, 86400)
        number("price_in", 0, 1e6)
        number("price_out", 0, 1e6)
        for name in ("rpm", "tpm", "max_cost"):
            if getattr(self, name) is not None:
                number(name, 1e-9, 1e12)
        if self.max_cost is not None and not (self.price_in or self.price_out):
            raise UsageError("--max_cost needs --price_in and/or --price_out (dollars per million tokens)")
        if self.model_name is not None and (not isinstance(self.model_name, str) or not self.model_name):
            raise UsageError("--model_name must be a non-empty string")


@dataclass
class RunStats:
    rounds: int = 0
    api_calls: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    candidates: int = 0
    kept: int = 0
    garbled_choices: int = 0
    # Rounds answered but not needed once the target was reached (their tokens are
    # counted: they were billed), and calls still in flight when the run stopped.
    unused_rounds: int = 0
    abandoned_calls: int = 0
    dropped: Counter = field(default_factory=Counter)

    def cost(self, price_in: float, price_out: float) -> float:
        return (self.prompt_tokens * price_in + self.completion_tokens * price_out) / 1e6

    def add_usage(self, result: RoundResult) -> None:
        """What a round cost: calls, retries, tokens (committed or not)."""
        self.api_calls += result.api_calls
        self.retries += result.retries
        self.prompt_tokens += result.prompt_tokens
        self.completion_tokens += result.completion_tokens

    def add_unused(self, result: RoundResult) -> None:
        """A round answered (and billed) after the target was reached: usage only, no records."""
        self.unused_rounds += 1
        self.add_usage(result)

    def add_round(self, result: RoundResult) -> None:
        self.rounds += 1
        self.add_usage(result)
        self.garbled_choices += result.garbled

    def as_dict(self) -> dict:
        out = asdict(self)
        out["dropped"] = dict(sorted(self.dropped.items()))
        return out

    @classmethod
    def from_dict(cls, data: dict | None) -> "RunStats":
        stats = cls()
        for key, value in (data or {}).items():
            if key == "dropped" and isinstance(value, dict):
                stats.dropped = Counter({k: int(v) for k, v in value.items()})
            elif hasattr(stats, key) and isinstance(value, int):
                setattr(stats, key, value)
        return stats

    def merged(self, other: "RunStats") -> "RunStats":
        total = RunStats.from_dict(self.as_dict())
        for f in fields(RunStats):
            if f.name != "dropped":
                setattr(total, f.name, getattr(total, f.name) + getattr(other, f.name))
        total.dropped = total.dropped + other.dropped
        return total


def _succeeded(task: asyncio.Future) -> bool:
    return task.done() and not task.cancelled() and task.exception() is None


def sample_prompt_seeds(seeds: list[SeedTask], seed: int, prompt_number: int, k: int) -> list[SeedTask]:
    """The example tasks of prompt ``prompt_number``: a function of (seed, prompt number) only."""
    rng = random.Random(f"alpaca-gen:{seed}:{prompt_number}")
    return rng.sample(seeds, min(k, len(seeds)))


class Generator:
    """One ``generate`` run. Build with a validated config; call :meth:`run`."""

    def __init__(self, config: GenerateConfig, *, out=None, err=None):
        config.validate()
        self.config = config
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.model = config.model_name or DEFAULT_MODEL[config.api]
        self.base_url = config.base_url or os.environ.get("OPENAI_BASE_URL") or None
        self.api_key = config.api_key or os.environ.get("OPENAI_API_KEY") or ""
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
        self._bar = None

    # -- helpers ---------------------------------------------------------------------------
    def warn(self, message: str) -> None:
        line = "alpaca-gen: " + redact(message, (self.api_key,))
        if self._bar is not None:
            self._bar.write(line, file=self.err)
        else:
            print(line, file=self.err, flush=True)

    def render(self, seeds: list[SeedTask]) -> str:
        if self.config.api == "chat":
            return prompt_mod.render_chat_prompt(self.template, seeds, cross_lang=self.cross_lang)
        return prompt_mod.render_completion_prompt(self.template, seeds, cross_lang=self.cross_lang)

    def round_prompts(self, round_number: int, size: int, seed: int, start: int = 0) -> list[tuple[list[SeedTask], str]]:
        batch = self.config.request_batch_size
        out = []
        for position in range(start, start + size):
            examples = sample_prompt_seeds(self.seeds, seed, round_number * batch + position, self.config.num_prompt_instructions)
            out.append((examples, self.render(examples)))
        return out

    # -- dry run -------------------------------------------------------------------------------
    def dry_run(self) -> dict:
        seed = self.config.seed if self.config.seed is not None else 0
        seed_note = "" if self.config.seed is not None else " (no --seed: a real run picks a random seed and remembers it; shown with seed 0)"
        round_number = 0
        state_file = Path(self.config.output_dir) / ".alpaca-gen" / "state.json"
        try:
            state = json.loads(state_file.read_text(encoding="utf-8"))
            round_number = int(state.get("next_request", 0))
            if self.config.seed is None and isinstance(state.get("seed"), int):
                seed = state["seed"]
                seed_note = " (the seed this output was started with)"
        except (OSError, ValueError, TypeError):
            pass
        where = redact(self.base_url or OPENAI_BASE_URL, (self.api_key,))
        print(f"# dry run: nothing is sent. {self.config.api} API at {where}, model {self.model}", file=self.out)
        print(
            f"# max_tokens {self.config.max_tokens}, temperature {self.config.temperature}, top_p {self.config.top_p}, "
            f"stop {prompt_mod.stop_sequences(self.template)!r}, seed {seed}{seed_note}",
            file=self.out,
        )
        prompts = self.round_prompts(round_number, self.config.request_batch_size, seed)
        for position, (examples, text) in enumerate(prompts):
            ids = ", ".join(t.id for t in examples)
            print(f"\n===== request {round_number}, prompt {position} (seed tasks: {ids}) =====", file=self.out)
            print(text, file=self.out)
        return {"dry_run": True, "prompts": len(prompts)}

    # -- the run ---------------------------------------------------------------------------------
    def run(self) -> dict:
        if self.config.dry_run:
            return self.dry_run()
        if not self.api_key and not self.base_url:
            raise UsageError(
                "no API key: set OPENAI_API_KEY or pass --api_key "
                "(for a local server such as vLLM, llama.cpp or Ollama pass --base_url; it needs no key)"
            )
        store = RegenStore(self.config.output_dir)
        store.open()
        try:
            return self._run_with_store(store)
        finally:
            store.close()

    def _run_with_store(self, store: RegenStore) -> dict:
        cfg = self.config
        state = store.state
        if state.get("lang") and state["lang"] != cfg.lang:
            raise UsageError(
                f"{store.path} was generated with --lang {state['lang']}; resume it with --lang {state['lang']} "
                "or choose another --output_dir"
            )
        if store.recovered_state:
            self.warn(f"no run state matching {store.path}; continuing after its last recorded request")
        seed = cfg.seed if cfg.seed is not None else state.get("seed")
        if seed is None:
            seed = random.SystemRandom().randrange(2**31)
        elif cfg.seed is not None and state.get("seed") not in (None, cfg.seed):
            self.warn(f"--seed {cfg.seed} differs from the seed {state['seed']} this output was started with")
        earlier = RunStats.from_dict(state.get("totals"))
        if isinstance(state.get("max_tokens"), int) and state["max_tokens"] < cfg.max_tokens:
            max_tokens = state["max_tokens"]  # a smaller limit learned from a context-length error
        else:
            max_tokens = cfg.max_tokens

        tokenizer = tokenizer_for(cfg.lang, cfg.tokenizer)
        index = NearDuplicateIndex(tokenizer, cfg.similarity_threshold, similarity_stats=cfg.similarity_stats)
        for task in self.seeds:
            index.add(task.instruction)
        for record in store.records:
            index.add(record["instruction"])

        target = cfg.num_instructions_to_generate
        settings = ApiSettings(
            model=self.model, base_url=self.base_url, api_key=self.api_key, api=cfg.api, max_tokens=max_tokens,
            temperature=cfg.temperature, top_p=cfg.top_p, stop=prompt_mod.stop_sequences(self.template),
            timeout=cfg.request_timeout, max_retries=cfg.max_retries, backoff_base=cfg.backoff_base,
            concurrency=cfg.concurrency, rpm=cfg.rpm, tpm=cfg.tpm,
        )
        started = time.monotonic()
        stopped_because = "target reached"
        interrupted: int | None = None
        self._bar = tqdm(
            total=target, initial=min(len(store.records), target), unit="instr", desc="kept",
            disable=(not cfg.progress) if cfg.progress is not None else None, file=self.err, dynamic_ncols=True,
        )
        try:
            if len(store.records) >= target:
                stopped_because = f"{store.path.name} already has {len(store.records)} records (target {target})"
            else:
                stopped_because, interrupted = asyncio.run(
                    self._loop(store, index, settings, seed, target, earlier)
                )
        finally:
            self._bar.close()
            self._bar = None
        if self.stats.rounds or self.stats.unused_rounds or self.stats.abandoned_calls:
            # Tokens of rounds answered but not committed were paid for too: keep them in the totals.
            store.commit([], dict(store.state, totals=earlier.merged(self.stats).as_dict()))
        summary = self._summary(store, earlier, started, stopped_because, seed)
        self._write_summary(store, summary)
        self._print_summary(summary)
        if interrupted is not None:
            raise Interrupted(interrupted)
        return summary

    async def _loop(self, store, index, settings, seed, target, earlier) -> tuple[str, int | None]:
        cfg = self.config
        client = RequestClient(settings, warn=self.warn)
        loop = asyncio.get_running_loop()
        main = asyncio.current_task()
        caught: list[int] = []

        def on_signal(signum: int) -> None:
            if not caught:
                caught.append(signum)
                main.cancel()

        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, on_signal, signum)
        batch = cfg.request_batch_size
        calls_per_round = 1 if (cfg.api == "completions") else batch
        rounds_in_flight = max(1, -(-cfg.concurrency // calls_per_round))
        next_round = int(store.state.get("next_request", 0))
        # A chat round cut short by --max_requests resumes at its first unsent prompt.
        start = int(store.state.get("next_prompt", 0) or 0)
        if not 0 <= start < batch:
            start = 0
        scheduled_calls = 0
        pending: dict[int, tuple[list, asyncio.Task, float, int]] = {}
        stopped = "target reached"
        budget_stop = False
        try:
            while len(store.records) < target:
                # Keep `rounds_in_flight` rounds waiting on the server. Finished rounds wait
                # here for their turn to be committed without holding a slot, so a slow
                # commit never leaves the server idle; the buffer of finished rounds is bounded.
                # With --concurrency 1 the run stays strictly one round at a time, as Stanford's did.
                buffered = 4 * rounds_in_flight if rounds_in_flight > 1 else 1
                while (
                    sum(1 for entry in pending.values() if not entry[1].done() or buffered == 1) < rounds_in_flight
                    and len(pending) < self._rounds_wanted(buffered, target - len(store.records))
                ):
                    if cfg.max_requests is not None and scheduled_calls >= cfg.max_requests:
                        break
                    # One call per prompt on chat, and on completions once the server
                    # turned out not to take list prompts.
                    per_prompt = cfg.api == "chat" or not settings.list_prompts
                    size = batch - start
                    if cfg.max_requests is not None and per_prompt:
                        size = min(size, cfg.max_requests - scheduled_calls)
                    prompts = self.round_prompts(next_round, size, seed, start)
                    texts = [text for _, text in prompts]
                    worst = self._worst_case_cost(client, texts)
                    if cfg.max_cost is not None:
                        committed = self.stats.cost(cfg.price_in, cfg.price_out)
                        reserved = sum(entry[2] for entry in pending.values())
                        if committed + reserved + worst > cfg.max_cost:
                            budget_stop = True
                            break
                    task = asyncio.ensure_future(client.run_round(texts))
                    pending[next_round] = (prompts, task, worst, start)
                    scheduled_calls += size if per_prompt else 1
                    next_round += 1
                    start = 0
                if not pending:
                    if budget_stop:
                        spent = self.stats.cost(cfg.price_in, cfg.price_out)
                        stopped = f"--max_cost ${cfg.max_cost:g} reached (spent ${spent:.4f}; another round could pass it)"
                    else:
                        stopped = f"--max_requests {cfg.max_requests} reached"
                    break
                round_number = min(pending)
                if not pending[round_number][1].done():
                    waiting = {entry[1] for entry in pending.values() if not entry[1].done()}
                    done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                    for finished in done:
                        if not finished.cancelled() and finished.exception() is not None:
                            raise finished.exception()  # a refusal (bad key, quota) stops the run at once
                    continue
                # This round and the finished ones right after it, committed together.
                finished = []
                while round_number in pending and _succeeded(pending[round_number][1]):
                    prompts, task, _, first = pending.pop(round_number)
                    finished.append((round_number, first, prompts, task.result()))
                    round_number += 1
                if not finished:
                    pending[round_number][1].result()  # raises the refusal that ended it
                # Parsing, de-duplication and the commit's fsyncs run in a worker thread so
                # the event loop keeps receiving the other rounds' responses meanwhile.
                # Commits stay strictly in order: the next one starts after this one ends.
                commit = asyncio.ensure_future(asyncio.to_thread(
                    self._commit_rounds, store, index, finished, seed, target, earlier, client
                ))
                try:
                    await asyncio.shield(commit)
                except asyncio.CancelledError:
                    await commit  # a signal arrived mid-commit: let the commit finish, then stop
                    raise
        except asyncio.CancelledError:
            if not caught:
                raise
            stopped = f"interrupted by {signal.Signals(caught[0]).name}"
        finally:
            for entry in pending.values():
                task = entry[1]
                if _succeeded(task):
                    self.stats.add_unused(task.result())  # answered and paid for, but not needed
                task.cancel()
            # Requests on the wire when the run stopped (prompts not yet sent are not counted).
            self.stats.abandoned_calls += client.in_flight
            await asyncio.gather(*(entry[1] for entry in pending.values()), return_exceptions=True)
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)
            await client.close()
        return stopped, (caught[0] if caught else None)

    def _rounds_wanted(self, limit: int, remaining: int) -> int:
        """Rounds to keep in flight: the concurrency allows ``limit``, but near the
        target only as many as the yield so far says are needed, so the last
        rounds do not pay for completions that would be thrown away."""
        if self.stats.rounds == 0 or self.stats.kept == 0:
            return limit
        per_round = self.stats.kept / self.stats.rounds
        return max(1, min(limit, -(-remaining // max(1, int(per_round))) + 1))

    def _worst_case_cost(self, client, texts: list[str]) -> float:
        """The most one round can cost: every prompt token plus max_tokens per prompt."""
        cfg = self.config
        if not (cfg.price_in or cfg.price_out):
            return 0.0
        prompt_tokens = sum(len(t.encode("utf-8")) // 2 + 1 for t in texts)  # generous: ≥ real token counts
        return (prompt_tokens * cfg.price_in + len(texts) * client.max_tokens * cfg.price_out) / 1e6

    def _commit_rounds(self, store, index, rounds, seed, target, earlier, client) -> None:
        """Process finished rounds in request order and commit them to regen.json together.

        ``rounds`` holds (round number, first prompt, prompts, result) of consecutive
        rounds. One commit (one append, one fsync) covers all of them: when responses
        arrive faster than one commit takes, the rounds that queued up meanwhile share
        the next commit instead of each paying for its own.
        """
        kept: list[dict] = []
        used = len(rounds)
        for position, (round_number, first, prompts, result) in enumerate(rounds):
            room = target - len(store.records) - len(kept)
            if room <= 0:
                # An earlier round of this batch reached the target. Like rounds still in
                # flight when a run ends, these were paid for but are not used, and the run
                # state stays right after the target's round, so a later run with a higher
                # target asks for them again and the data matches one uninterrupted run.
                for *_, unused in rounds[position:]:
                    self.stats.add_unused(unused)
                used = position
                break
            kept.extend(self._process_round(index, round_number, first, prompts, result, room))
        round_number, first, prompts, _ = rounds[used - 1]
        done = first + len(prompts)
        finished = done >= self.config.request_batch_size
        state = {
            "next_request": round_number + 1 if finished else round_number,
            "next_prompt": 0 if finished else done,
            "seed": seed, "lang": self.config.lang,
            "max_tokens": client.max_tokens, "totals": earlier.merged(self.stats).as_dict(),
        }
        store.commit(kept, state)
        if self._bar is not None:
            self._bar.update(len(kept))
            self._bar.set_postfix(requests=self.stats.api_calls, dropped=sum(self.stats.dropped.values()), refresh=False)

    def _process_round(self, index, round_number, first, prompts, result, room) -> list[dict]:
        """Parse, filter and de-duplicate one round; returns its records to keep (at most ``room``)."""
        cfg = self.config
        self.stats.add_round(result)
        next_number = cfg.num_prompt_instructions + 1 if cfg.api == "completions" else None
        kept: list[dict] = []
        passed: list[tuple] = []
        for position, choice in enumerate(result.choices):
            if choice is None:
                continue
            parsed = parse_completion(choice.text, choice.finish_reason, next_number=next_number)
            self.stats.dropped.update(parsed.dropped)
            examples = prompts[position][0]
            for task in parsed.tasks:
                self.stats.candidates += 1
                reason = drop_reason(task, cfg.lang)
                if reason:
                    self.stats.dropped[reason] += 1
                    continue
                passed.append((task, position, examples))
        # Near-duplicates: each candidate against the seeds, everything kept so far and
        # the candidates of this round kept before it (Stanford's rule); one vectorised call.
        verdicts = index.offer_many([task.instruction for task, _, _ in passed])
        for (task, position, examples), verdict in zip(passed, verdicts):
            if len(kept) >= room:
                self.stats.dropped["over_target"] += 1  # the run ends with this round
                continue
            if verdict.duplicate:
                self.stats.dropped["near_duplicate"] += 1
                continue
            record = {"instruction": task.instruction, "input": task.input, "output": task.output}
            if cfg.similarity_stats:
                record["most_similar_instructions"] = verdict.most_similar
                record["avg_similarity_score"] = verdict.avg_similarity
            record["provenance"] = {
                "lang": cfg.lang, "model": self.model, "api": cfg.api, "request": round_number,
                "prompt": first + position, "seed_task_ids": [t.id for t in examples],
            }
            kept.append(record)
        self.stats.kept += len(kept)
        self._idle_rounds = 0 if kept else getattr(self, "_idle_rounds", 0) + 1
        if self._idle_rounds and self._idle_rounds % 20 == 0:
            self.warn(
                f"the last {self._idle_rounds} rounds kept nothing: the model keeps repeating tasks already in the pool. "
                "Consider a higher --temperature, more or other seed tasks, or stopping here"
            )
        return kept

    # -- summary ----------------------------------------------------------------------------------
    def _summary(self, store, earlier: RunStats, started: float, stopped_because: str, seed: int) -> dict:
        elapsed = time.monotonic() - started
        this_run = self.stats.as_dict()
        cfg = self.config
        this_run["elapsed_seconds"] = round(elapsed, 3)
        this_run["requests_per_second"] = round(self.stats.api_calls / elapsed, 3) if elapsed > 0 else 0.0
        this_run["kept_per_request"] = round(self.stats.kept / self.stats.api_calls, 3) if self.stats.api_calls else 0.0
        this_run["kept_share_of_candidates"] = round(self.stats.kept / self.stats.candidates, 3) if self.stats.candidates else 0.0
        total = earlier.merged(self.stats)
        all_runs = total.as_dict()
        if cfg.price_in or cfg.price_out:
            cost = self.stats.cost(cfg.price_in, cfg.price_out)
            this_run["cost_usd"] = round(cost, 6)
            this_run["cost_per_kept_usd"] = round(cost / self.stats.kept, 6) if self.stats.kept else None
            all_runs["cost_usd"] = round(total.cost(cfg.price_in, cfg.price_out), 6)
        return {
            "output": str(store.path),
            "records_in_file": len(store.records),
            "target": self.config.num_instructions_to_generate,
            "stopped_because": stopped_because,
            "lang": self.config.lang,
            "model": self.model,
            "api": self.config.api,
            "seed": seed,
            "this_run": this_run,
            "all_runs": all_runs,
        }

    def _write_summary(self, store: RegenStore, summary: dict) -> None:
        path = store.output_dir / "summary.json"
        tmp = path.with_name("summary.json.tmp")
        tmp.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, path)

    def _print_summary(self, summary: dict) -> None:
        run = summary["this_run"]
        dropped = run["dropped"]
        lines = [
            f"alpaca-gen: {summary['stopped_because']}; {summary['records_in_file']}/{summary['target']} records in {summary['output']}",
            f"  this run: {run['api_calls']} requests ({run['retries']} retries) in {run['elapsed_seconds']:.1f}s, "
            f"{run['prompt_tokens']} prompt + {run['completion_tokens']} completion tokens",
            f"  candidates {run['candidates']}, kept {run['kept']}, dropped {sum(dropped.values())}"
            + (": " + ", ".join(f"{k} {v}" for k, v in sorted(dropped.items(), key=lambda kv: -kv[1])) if dropped else ""),
        ]
        if "cost_usd" in run:
            per = run["cost_per_kept_usd"]
            lines.append(
                f"  cost ${run['cost_usd']:.4f}" + (f", ${per:.5f} per kept instruction" if per is not None else "")
                + f"; all runs ${summary['all_runs']['cost_usd']:.4f}"
            )
        lines.append(f"  {run['requests_per_second']:.2f} requests/s, {run['kept_per_request']:.1f} kept per request")
        if run["unused_rounds"] or run["abandoned_calls"]:
            lines.append(
                f"  not committed: {run['unused_rounds']} answered rounds no longer needed (their tokens are counted), "
                f"{run['abandoned_calls']} requests abandoned in flight"
            )
        if run["garbled_choices"]:
            lines.append(f"  unusable completions (empty or garbled): {run['garbled_choices']}")
        print("\n".join(lines), file=self.out, flush=True)


def generate(config: GenerateConfig | None = None, **flags) -> dict:
    """Run generation; returns the summary. Library entry point behind ``alpaca-gen generate``."""
    config = config or GenerateConfig(**flags)
    return Generator(config).run()
