"""Rounds answered concurrently, committed strictly in order: the loop ``generate`` and
``respond`` share.

While the answer source works on the rounds in flight, finished rounds are handed
to a commit function in a worker thread, one commit at a time and in round order,
so a commit never leaves the server idle and the output never depends on which
answer came back first. Ctrl-C and SIGTERM let the commit under way finish, then
stop the sending; what is still in flight is abandoned (its requests cancelled, so
their connections close and a server such as llama.cpp's stops working on them) and
counted. ``--max_time`` stops the same way without a signal: the rounds answered by
then are committed, the rest abandoned, and the run ends as resumable as after Ctrl-C.
"""
from __future__ import annotations

import asyncio
import signal
import sys
import time
from typing import Callable, NamedTuple

from .rounds import AnsweredRound
from .scheduler import RoundScheduler
from .state import RunStats


class Deadline(NamedTuple):
    """When the run stops by itself (a time.monotonic() time), and the reason it then gives."""
    at: float
    reason: str


def run_in_order(make_rounds: Callable[[], RoundScheduler], stats: RunStats, *, remaining: Callable[[], int],
                 commit: Callable[[list[AnsweredRound]], None], on_sent: Callable[[int], None] | None = None,
                 on_tick: Callable[[], None] | None = None, tick_every: float | None = None,
                 deadline: Deadline | None = None) -> tuple[str, int | None]:
    """Run the rounds until ``remaining()`` is 0 or nothing is left to send: why it stopped,
    and the signal that stopped it (None when none did). ``on_tick`` is called every
    ``tick_every`` seconds meanwhile (the progress bar and lines); ``deadline`` is
    (time.monotonic() at which to stop, why: "--max_time 2h reached")."""
    # The commit thread's Python work would hold the GIL for the default 5 ms at a time,
    # keeping the event loop from answers that have arrived: switch ten times as often
    # while the run goes (bench/bench_concurrency.py, 480 requests: 0.99x -> 1.00x of the plain client).
    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    try:
        return asyncio.run(_loop(make_rounds, stats, remaining, commit, on_sent, on_tick, tick_every, deadline))
    finally:
        sys.setswitchinterval(interval)


def max_time_deadline(options, started: float) -> Deadline | None:
    """--max_time as :func:`run_in_order`'s deadline, counted from ``started`` (time.monotonic())."""
    seconds = options.max_time_seconds
    return None if seconds is None else Deadline(started + seconds, f"--max_time {options.max_time} reached")


async def _ticks(on_tick: Callable[[], None], every: float) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            on_tick()
        except OSError:  # stderr gone (a closed pipe): the run goes on without its progress lines
            return


async def _loop(make_rounds, stats: RunStats, remaining, commit, on_sent, on_tick, tick_every,
                deadline) -> tuple[str, int | None]:
    rounds: RoundScheduler = make_rounds()  # inside the loop: the source's locks belong to it
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    caught: list[int] = []
    ticker = asyncio.ensure_future(_ticks(on_tick, tick_every)) if on_tick is not None and tick_every else None

    def on_signal(signum: int) -> None:
        if not caught:
            caught.append(signum)
            main.cancel()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal, signum)
    stopped = "target reached"
    committing: asyncio.Future | None = None
    in_commit = 0  # rounds in the commit under way
    try:
        while True:
            if committing is not None and committing.done():
                committing.result()
                committing, in_commit = None, 0
            left = remaining()
            if left <= 0 and committing is None:
                break
            out_of_time = deadline is not None and time.monotonic() >= deadline.at
            if not out_of_time:
                sent = rounds.scheduled_calls
                rounds.send(left, in_commit)
                if rounds.scheduled_calls != sent and on_sent is not None:
                    on_sent(rounds.scheduled_calls)  # the bar moves from the first request on
            if committing is None:
                finished = rounds.take_finished()
                for answered in finished:
                    # Billed now, not when committed: --max_cost must see it while the commit runs.
                    stats.add_answered(answered.result)
                if finished:
                    committing, in_commit = asyncio.ensure_future(asyncio.to_thread(commit, finished)), len(finished)
                    continue
                if out_of_time:  # what was answered in order is committed; the rest is abandoned
                    stopped = deadline.reason
                    break
                if not rounds.pending:
                    stopped = rounds.why_nothing_was_sent()
                    break
            waiting = rounds.waiting() | ({committing} if committing is not None else set())
            if not waiting:
                continue
            timeout = None if deadline is None or out_of_time else max(0.0, deadline.at - time.monotonic())
            done, _ = await asyncio.wait(waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            rounds.raise_refusals(done - {committing})
    except asyncio.CancelledError:
        if committing is not None and not committing.done():
            await committing  # a signal arrived mid-commit: let the commit finish, then stop
        if not caught:
            raise
        stopped = "stopped by Ctrl-C" if caught[0] == signal.SIGINT else f"stopped by {signal.Signals(caught[0]).name}"
    finally:
        if ticker is not None:
            ticker.cancel()
        if committing is not None and not committing.done():
            # Stopped by an error while a commit runs: the store takes one commit at a time.
            await asyncio.wait({committing})
        await rounds.abandon()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    return stopped, (caught[0] if caught else None)
