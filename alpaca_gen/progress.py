"""Feedback while a run goes, the same for ``generate`` and the jobs (``respond``, ``eval``).

On a terminal a tqdm bar counts what is done (records kept, answers written) with the
requests sent, those in flight, the drops (failures for a job) and the cost in its
postfix. Its time left is computed here from what this run has done per second since
it started, and the bar is redrawn every second, so it moves while requests are on
their way instead of sitting still between two kept records. Without the bar (not a
terminal, or ``--noprogress``) a plain line goes to stderr every ``--log_every``
seconds with the same numbers::

    alpaca-gen: 1,234/52,000 kept, 310 requests sent, 4 in flight, 97 dropped, $0.41, 52 s elapsed, about 31 min left

The numbers are read from the event loop's thread (the ticks) while the commit thread
changes the funnel, so the drops are a count the commit thread publishes
(:meth:`Progress.set_dropped`), never the funnel read mid-change.
"""
from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Callable

from tqdm import tqdm

from .text import plural

if TYPE_CHECKING:
    from .ordered import Deadline

BAR_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} {unit} [{elapsed}{postfix}]"


def duration_text(seconds: float) -> str:
    """52 s, 3 min 05 s, 31 min, 2.3 h: the words the progress line uses."""
    seconds = max(0, round(seconds))
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 10 * 60:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def _is_terminal(stream) -> bool:
    """A terminal with a width: a pseudo-terminal of 0 columns (``script`` without a tty) draws no bar."""
    try:
        if not stream.isatty():
            return False
        return os.get_terminal_size(stream.fileno()).columns > 0
    except (AttributeError, ValueError, OSError):
        return False


class Progress:
    """What a run shows while it goes. ``done`` counts toward ``total`` (``initial`` of them
    were there before this run); ``what`` names them in the line (``kept``, ``answers
    written``); ``dropped_as`` names the drops (``dropped``, ``failed``)."""

    def __init__(self, *, total: int, initial: int, unit: str, desc: str, what: str, dropped_as: str,
                 show_bar: bool | None, log_every: float, err, cost: Callable[[], float] | None = None,
                 started: float | None = None, deadline: Deadline | None = None, max_requests: int | None = None):
        self.err = err
        self.total, self.initial, self.done = total, initial, min(initial, total)
        self.what, self.dropped_as = what, dropped_as
        self.started = time.monotonic() if started is None else started
        self.bar_shown = show_bar if show_bar is not None else _is_terminal(err)
        # --max_time and --max_requests may end the run before the target.
        self.deadline, self.max_requests = deadline, max_requests
        self.log_every = 0.0 if self.bar_shown else float(log_every or 0)
        self.bar = tqdm(total=total, initial=self.done, unit=unit, desc=desc, file=err, dynamic_ncols=True,
                        disable=not self.bar_shown, bar_format=BAR_FORMAT)
        self.sent = 0
        self.dropped = 0
        self.in_flight: Callable[[], int] = lambda: 0
        self.cost = cost
        self.extra: list[str] | None = None  # --batch: the batch's status in place of the request numbers
        self._next_line = self.started + self.log_every

    # -- what changes (sent: event loop; done, dropped: the commit thread) ------------------------
    def set_sent(self, calls: int) -> None:
        self.sent = calls
        self.refresh()

    def set_dropped(self, count: int) -> None:
        self.dropped = count

    def add_done(self, n: int) -> None:
        self.done += n
        self.refresh(redraw=False)
        if n:
            self.bar.update(n)

    def show_batch(self, batch: dict) -> None:
        """--batch: the status and request counts of the batch being waited for."""
        counts = batch.get("request_counts") or {}
        self.extra = [f"batch {batch.get('status')}",
                      f"{counts.get('completed', 0):,}/{counts.get('total', 0):,} of its requests answered",
                      f"{counts.get('failed', 0):,} failed in it"]
        self.refresh()

    # -- what is shown -------------------------------------------------------------------------
    @property
    def tick_every(self) -> float | None:
        """How often :meth:`tick` wants to be called (None: never)."""
        if self.bar_shown:
            return 1.0
        return min(1.0, self.log_every) if self.log_every > 0 else None

    def numbers(self, now: float | None = None) -> list[str]:
        """requests sent, in flight, drops, cost, time left: the parts after the count."""
        now = time.monotonic() if now is None else now
        parts = []
        if self.extra is not None:
            parts += self.extra
        else:
            parts += [plural(self.sent, "request") + " sent", f"{self.in_flight():,} in flight"]
        parts.append(f"{self.dropped:,} {self.dropped_as}")
        if self.cost is not None:
            parts.append(f"${self.cost():.2f}")
        parts.append(self.time_left(now))
        return parts

    def time_left(self, now: float) -> str:
        """To the target at this run's rate, or to --max_time / --max_requests when one ends the run first."""
        made = self.done - min(self.initial, self.total)
        elapsed = now - self.started
        if self.done >= self.total:
            return "done"
        left, why = None, ""
        if made > 0 and elapsed > 0:
            left = (self.total - self.done) * elapsed / made
        if self.deadline is not None and (left is None or self.deadline.at - now < left):
            left, why = self.deadline.at - now, " (--max_time)"
        if self.max_requests is not None and self.sent >= self.max_requests:
            return "the last requests are on their way (--max_requests)"
        if self.max_requests is not None and self.sent and elapsed > 0:
            by_requests = (self.max_requests - self.sent) * elapsed / self.sent
            if left is None or by_requests < left:
                left, why = by_requests, " (--max_requests)"
        if left is None:
            return "time left not known yet"
        return f"about {duration_text(left)} left{why}"

    def line(self, now: float | None = None) -> str:
        now = time.monotonic() if now is None else now
        parts = self.numbers(now)
        parts.insert(len(parts) - 1, f"{duration_text(now - self.started)} elapsed")
        return f"alpaca-gen: {self.done:,}/{self.total:,} {self.what}, " + ", ".join(parts)

    def refresh(self, *, redraw: bool = True) -> None:
        if self.bar_shown:
            self.bar.set_postfix_str(", ".join(self.numbers()), refresh=redraw)

    def tick(self) -> None:
        """Called every :attr:`tick_every` seconds: redraw the bar, or print the line when it is due."""
        if self.bar_shown:
            self.refresh()
            return
        now = time.monotonic()
        if self.log_every > 0 and now >= self._next_line:
            print(self.line(now), file=self.err, flush=True)
            while self._next_line <= now:
                self._next_line += self.log_every

    def write(self, line: str) -> None:
        """A warning line, printed above the bar."""
        if self.bar_shown:
            self.bar.write(line, file=self.err)
        else:
            print(line, file=self.err, flush=True)

    def close(self) -> None:
        self.bar.close()
