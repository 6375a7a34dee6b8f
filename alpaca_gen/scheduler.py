"""Rounds in flight: which to send next, which have come back in order, what to abandon.

Up to ``rounds_in_flight`` rounds wait on the answer source at once, a bounded
buffer of answered ones waits for its turn to be committed, and near the target
only as many rounds are sent as the yield so far says are needed. Budgets
(--max_requests, --max_cost) stop the sending, never a round half sent.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Callable

from .answers import AnswerSource
from .config import GenerateConfig
from .rounds import AnsweredRound, RoundPrompt
from .state import RunStats

#: --batch: requests in the first wave, before any yield is known.
FIRST_WAVE_REQUESTS = 200


def _succeeded(task: asyncio.Future) -> bool:
    return task.done() and not task.cancelled() and task.exception() is None


@dataclass
class _Pending:
    prompts: list[RoundPrompt]
    task: asyncio.Task
    worst_cost: float  # the most this round can cost, reserved against --max_cost
    first: int  # its first prompt


class RoundScheduler:
    def __init__(self, config: GenerateConfig, source: AnswerSource, stats: RunStats,
                 round_prompts: Callable[[int, int, int, int], list[RoundPrompt]], *, seed: int, next_round: int,
                 start: int, last_round: int | None = None):
        self.config = config
        self.source = source
        self.stats = stats
        self.round_prompts = round_prompts
        self.seed = seed
        self.next_round = next_round
        self.start = start  # first prompt of the next round (a round cut by --max_requests resumes mid-way)
        # respond: the rounds are known ahead (one per record to answer), so none is sent past
        # the last and there is no yield to wait for before sending a full wave.
        self.last_round = last_round
        calls = source.calls_for(config.request_batch_size)
        # --batch: a wave is the rounds in flight; the first one small, the next ones sized by the yield.
        if config.batch:
            self.rounds_in_flight = max(1, config.batch_size // calls)
        else:
            self.rounds_in_flight = max(1, -(-config.concurrency // calls))
        self.first_wave = max(1, FIRST_WAVE_REQUESTS // calls) if config.batch and last_round is None else None
        self.scheduled_calls = 0
        self.budget_stop = False
        self.pending: dict[int, _Pending] = {}

    def send(self, remaining: int, committing: int = 0) -> None:
        """Keep ``rounds_in_flight`` rounds waiting on the server. Finished rounds wait for
        their turn to be committed without holding a slot, so a slow commit never leaves the
        server idle; the buffer of finished rounds (``committing`` of them in the commit
        under way) is bounded. With --concurrency 1 the run stays strictly one round at a
        time, as Stanford's did: the next is sent once the last is committed."""
        cfg, source = self.config, self.source
        buffered = 4 * self.rounds_in_flight if self.rounds_in_flight > 1 else 1
        while (
            sum(1 for entry in self.pending.values() if not entry.task.done() or buffered == 1)
            + (committing if buffered == 1 else 0) < self.rounds_in_flight
            and len(self.pending) + committing < self._rounds_wanted(buffered, remaining)
        ):
            if cfg.max_requests is not None and self.scheduled_calls >= cfg.max_requests:
                return
            if self.last_round is not None and self.next_round >= self.last_round:
                return
            size = cfg.request_batch_size - self.start
            if cfg.max_requests is not None and source.calls_for(2) == 2:  # one call per prompt
                size = min(size, cfg.max_requests - self.scheduled_calls)
            prompts = self.round_prompts(self.next_round, size, self.seed, self.start)
            texts = [prompt.text for prompt in prompts]
            worst = self._worst_case_cost(texts)
            if cfg.max_cost is not None:
                committed = self.stats.usage.cost(cfg.price_in, cfg.price_out)
                reserved = sum(entry.worst_cost for entry in self.pending.values())
                if committed + reserved + worst > cfg.max_cost:
                    self.budget_stop = True
                    return
            task = asyncio.ensure_future(source.answer(texts, round_number=self.next_round))
            self.pending[self.next_round] = _Pending(prompts, task, worst, self.start)
            self.scheduled_calls += source.calls_for(size)
            self.next_round += 1
            self.start = 0

    def why_nothing_was_sent(self) -> str:
        cfg = self.config
        if self.budget_stop:
            spent = self.stats.usage.cost(cfg.price_in, cfg.price_out)
            return f"--max_cost ${cfg.max_cost:g} reached (spent ${spent:.4f}; another round could pass it)"
        if cfg.max_requests is not None and self.scheduled_calls >= cfg.max_requests:
            return f"--max_requests {cfg.max_requests} reached"
        return "no round left to send"

    def take_finished(self) -> list[AnsweredRound]:
        """The next round in order and the finished ones right after it, to be committed
        together ([] when the next one is not in yet). A round that failed raises its error
        here (a refusal such as a bad key stops the run at once)."""
        finished = []
        round_number = min(self.pending) if self.pending else None
        while round_number in self.pending and self.pending[round_number].task.done():
            task = self.pending[round_number].task
            if not _succeeded(task):
                task.result()  # raises what ended it
            entry = self.pending.pop(round_number)
            finished.append(AnsweredRound(round_number, entry.first, entry.prompts, task.result()))
            round_number += 1
        return finished

    def waiting(self) -> set:
        """The requests still on their way."""
        return {entry.task for entry in self.pending.values() if not entry.task.done()}

    @staticmethod
    def raise_refusals(done) -> None:
        """Stop at once when any answer (not only the next in order) is a refusal."""
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                raise task.exception()

    async def abandon(self) -> None:
        """Stop what is still in flight: answered rounds are billed but not used; requests
        on the wire are counted as abandoned (prompts not yet sent are not)."""
        for entry in self.pending.values():
            if _succeeded(entry.task):
                self.stats.add_unused(entry.task.result())
            entry.task.cancel()
        self.stats.usage.abandoned_calls += self.source.in_flight
        await asyncio.gather(*(entry.task for entry in self.pending.values()), return_exceptions=True)
        # A live source keeps the answered requests of a cancelled round (a chat round is one
        # request a prompt); other sources have none.
        for answered in getattr(self.source, "take_cut_short", list)():
            self.stats.add_answered(answered)
            self.stats.usage.cut_short_calls += answered.api_calls
        await self.source.close()

    def _rounds_wanted(self, limit: int, remaining: int) -> int:
        """Rounds to keep in flight: the concurrency allows ``limit``, but near the
        target only as many as the yield so far says are needed, so the last
        rounds do not pay for completions that would be thrown away."""
        if self.last_round is not None:
            return limit
        rounds, kept = self.stats.usage.rounds, self.stats.kept
        if rounds == 0 or kept == 0:
            return limit if self.first_wave is None else min(limit, self.first_wave)
        return max(1, min(limit, -(-remaining // max(1, int(kept / rounds))) + 1))

    def _worst_case_cost(self, texts: list[str]) -> float:
        """The most one round can cost: every prompt token plus max_tokens per prompt."""
        cfg = self.config
        if not (cfg.price_in or cfg.price_out):
            return 0.0
        prompt_tokens = sum(len(t.encode("utf-8")) // 2 + 1 for t in texts)  # generous: ≥ real token counts
        return (prompt_tokens * cfg.price_in + len(texts) * self.source.max_tokens * cfg.price_out) / 1e6
