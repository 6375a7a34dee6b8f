"""``generate --batch``: an answer source that answers rounds through the Batch API, in waves.

The scheduler asks for rounds as it does live (each ``answer`` call is one round,
with its round number); the rounds it asks for in one go become one wave: their
lines are uploaded, a batch is created, and every round waits on it. When the
batch ends, each round takes its lines (joined on custom_id) and goes to the same
ordered committer as a live answer. A round whose lines did not all come back
(errored, expired) joins the next wave, at most ``max_retries`` times.

Nothing is paid twice: each step is in the ledger (:mod:`.ledger`) before
anything waits on it. A round that a ledger wave carried is never sent again: it
waits on that wave's batch (still running, or ended: its files are read again).
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Callable

from ..answers import RoundResult, Unusable
from ..errors import ApiRefusedError
from .api import BatchAPI, BatchOutcome, batch_errors
from .ledger import BatchLedger, Wave
from .lines import BatchRequest, round_requests, split_files
from .results import LineResult, round_result


@dataclass
class _Collecting:
    rounds: dict[int, list[str]] = field(default_factory=dict)  # round -> prompts
    done: asyncio.Future | None = None  # resolves to the wave's lines by custom_id


@dataclass(frozen=True)
class RequestSettings:
    api: str
    model: str
    temperature: float
    top_p: float
    stop: list[str]


class BatchSource:
    """An :class:`~alpaca_gen.answers.AnswerSource` over the Batch API."""

    def __init__(self, api: BatchAPI, ledger: BatchLedger, settings: RequestSettings, *, max_tokens: int,
                 poll_interval: float, max_retries: int, warn: Callable[[str], None] | None = None,
                 on_status: Callable[[dict], None] | None = None, cancel_on_close: bool = False):
        self.api = api
        self.ledger = ledger
        self.settings = settings
        self.max_tokens = max_tokens
        self.poll_interval = poll_interval
        self.max_retries = max_retries
        self._warn = warn or (lambda message: None)
        self._on_status = on_status
        self.cancel_on_close = cancel_on_close
        self._collecting = _Collecting()
        self._submitting: set[asyncio.Task] = set()  # the waves being submitted and waited for
        self._waves: dict[int, asyncio.Future] = {}  # wave number -> its lines by custom_id
        self._running: dict[str, int] = {}  # batch id -> requests, while it runs
        self.batches_created = 0
        self.requests_submitted = 0
        self.expired_lines = 0  # lines that came back batch_expired (their rounds go into the next wave)
        self.error_lines = 0  # lines that came back with an error

    # -- the AnswerSource protocol -------------------------------------------------
    @property
    def in_flight(self) -> int:
        return sum(self._running.values())

    def calls_for(self, n_prompts: int) -> int:
        return 1 if self.settings.api == "completions" else n_prompts

    async def answer(self, prompts: list[str], round_number: int | None = None) -> RoundResult:
        if round_number is None:
            raise ValueError("a batch source needs each round's number")
        requests = self._requests(round_number, prompts)
        wave = self.ledger.wave_of(round_number)
        lines = await self._wave_lines(wave) if wave is not None else None  # carried by an earlier wave
        resubmissions = 0
        while True:
            if lines is not None:
                result = round_result(requests, lines, self.settings.api, len(prompts))
                if result is not None:
                    result.retries = resubmissions
                    return result
                self._count_missing(requests, lines)
                if resubmissions >= self.max_retries:
                    return self._given_up(requests, lines, len(prompts))
                resubmissions += 1
            lines = await self._join_next_wave(round_number, prompts)

    def _count_missing(self, requests: list[BatchRequest], lines: dict[str, LineResult]) -> None:
        for request in requests:
            line = lines.get(request.custom_id)
            if line is not None and not line.answered:
                if line.error == "batch_expired":
                    self.expired_lines += 1
                else:
                    self.error_lines += 1

    async def close(self) -> None:
        # Stop waiting for the waves here first: a poll sent after the client below is closed
        # would fail with nobody left to hear it (the batch itself goes on at the server).
        # The waves are shielded from the rounds that wait on them, so they are cancelled by name.
        waiting = [*self._submitting, *self._waves.values()]
        for task in waiting:
            task.cancel()
        await asyncio.gather(*waiting, return_exceptions=True)
        if self._running and self.cancel_on_close:
            for batch_id in list(self._running):
                await self.api.cancel(batch_id)
                self._warn(f"cancelled batch {batch_id} (--batch_cancel)")
        elif self._running:
            ids = ", ".join(self._running)
            self._warn(f"batch {ids} goes on at the server; run the same command again to collect its answers "
                       "(nothing is submitted twice), or add --batch_cancel to cancel it")
        await self.api.close()

    # -- waves -------------------------------------------------------------------
    def _requests(self, round_number: int, prompts: list[str]) -> list[BatchRequest]:
        s = self.settings
        return round_requests(round_number, prompts, api=s.api, model=s.model, max_tokens=self.max_tokens,
                              temperature=s.temperature, top_p=s.top_p, stop=s.stop)

    async def _join_next_wave(self, round_number: int, prompts: list[str]) -> dict[str, LineResult]:
        """Put the round in the wave being collected; the wave goes out once this loop turn's rounds are in."""
        collecting = self._collecting
        if collecting.done is None:
            collecting.done = asyncio.get_running_loop().create_future()
            asyncio.get_running_loop().call_soon(self._start_submit, collecting)
        collecting.rounds[round_number] = prompts
        return await asyncio.shield(collecting.done)

    def _start_submit(self, collecting: _Collecting) -> None:
        task = asyncio.ensure_future(self._submit(collecting))
        self._submitting.add(task)
        task.add_done_callback(self._submitting.discard)

    async def _submit(self, collecting: _Collecting) -> None:
        self._collecting = _Collecting()
        try:
            lines = await self._run_new_wave(collecting.rounds)
        except asyncio.CancelledError:  # the run stopped: the rounds waiting for this wave stop too
            collecting.done.cancel()
            raise
        except Exception as exc:  # every round of the wave learns why
            if not collecting.done.done():
                collecting.done.set_exception(exc)
            return
        collecting.done.set_result(lines)

    async def _run_new_wave(self, rounds: dict[int, list[str]]) -> dict[str, LineResult]:
        requests = [req for number in sorted(rounds) for req in self._requests(number, rounds[number])]
        files = split_files(requests)
        number = self.ledger.next_wave_number()
        file_ids = [await self.api.upload(data, f"alpaca-gen-wave-{number}-{k + 1}.jsonl") for k, data in enumerate(files)]
        self.requests_submitted += len(requests)
        wave = self.ledger.uploaded(number, sorted(rounds), requests[0].url, file_ids)
        return await self._wave_lines(wave)

    def _wave_lines(self, wave: Wave) -> asyncio.Future:
        """The wave's lines by custom_id (one task per wave, shared by its rounds)."""
        if wave.number not in self._waves:
            self._waves[wave.number] = asyncio.ensure_future(self._follow(wave))
        return asyncio.shield(self._waves[wave.number])

    async def _follow(self, wave: Wave) -> dict[str, LineResult]:
        """Create the wave's batches if the ledger has none, wait for them, read their files."""
        if not wave.batch_ids:
            found = await self._already_created(wave)
            ids = []
            for file_id in wave.input_file_ids:
                if file_id in found:
                    ids.append(found[file_id])
                    continue
                created = await self.api.create(file_id, wave.url, metadata={"alpaca_gen_wave": str(wave.number)})
                ids.append(created["id"])
                self.batches_created += 1
            self.ledger.created(wave.number, ids)
        lines: dict[str, LineResult] = {}
        statuses = []
        for batch_id in wave.batch_ids:
            outcome = await self._wait(batch_id)
            statuses.append(outcome.status)
            lines.update(outcome.results)
        if wave.status is None:
            self.ledger.ended(wave.number, ",".join(statuses))
        return lines

    async def _already_created(self, wave: Wave) -> dict[str, str]:
        """Batches made from the wave's input files by a run killed before it wrote their ids down
        (only a wave an earlier run uploaded can have them)."""
        if wave.number not in self.ledger.from_earlier_runs:
            return {}
        found = {}
        for batch in await self.api.list_batches():
            if batch.get("input_file_id") in wave.input_file_ids:
                found[batch["input_file_id"]] = batch["id"]
        return found

    async def _wait(self, batch_id: str) -> BatchOutcome:
        self._running[batch_id] = 0

        def seen(batch: dict) -> None:
            counts = batch.get("request_counts") or {}
            self._running[batch_id] = max(0, int(counts.get("total") or 0) - int(counts.get("completed") or 0)
                                          - int(counts.get("failed") or 0))
            if self._on_status is not None:
                self._on_status(batch)

        batch = await self.api.wait(batch_id, interval=self.poll_interval, on_status=seen)
        self._running.pop(batch_id, None)
        if batch["status"] == "failed":
            errors = "; ".join(batch_errors(batch)[:3])
            raise ApiRefusedError(f"batch {batch_id} failed: {errors or 'no reason given'}")
        if batch["status"] == "cancelled":
            raise ApiRefusedError(f"batch {batch_id} was cancelled; run the same command again to submit what it "
                                  "did not answer")
        outcome = await self.api.outcome(batch)
        for problem in outcome.problems[:3]:
            self._warn(f"unreadable result line: {problem}")
        return outcome

    def _given_up(self, requests: list[BatchRequest], lines: dict[str, LineResult], n: int) -> RoundResult:
        result = RoundResult(choices=[Unusable("batch_error")] * n, api_calls=len(requests))
        self._warn(f"round {requests[0].round}: no answer after {self.max_retries} resubmissions "
                   f"({', '.join(sorted({lines[r.custom_id].error or 'missing' for r in requests if r.custom_id in lines}))})")
        return result
