"""Client-side pacing for --rpm and --tpm."""
from __future__ import annotations

import asyncio
import time


class RateLimiter:
    """Client-side pacing for --rpm and --tpm, so a run stays under its limits
    instead of learning them from 429s (which still count against the limit).

    Requests are spaced 60/rpm seconds apart. Tokens use a bucket that refills at
    tpm/60 per second; a request reserves its estimate (prompt plus expected
    completion) before it is sent and settles the difference when usage comes back.
    """

    def __init__(self, rpm: float | None, tpm: float | None, clock=time.monotonic, sleep=asyncio.sleep):
        self.rpm = rpm
        self.tpm = tpm
        self._clock = clock
        self._sleep = sleep
        self._next_start = 0.0
        self._tokens = float(tpm) if tpm else 0.0
        self._updated = clock()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock()
        if self.tpm:
            self._tokens = min(float(self.tpm), self._tokens + (now - self._updated) * self.tpm / 60.0)
        self._updated = now

    async def reserve(self, tokens: int) -> None:
        if not self.rpm and not self.tpm:
            return
        async with self._lock:
            while True:
                self._refill()
                now = self._clock()
                wait = 0.0
                if self.rpm:
                    wait = max(wait, self._next_start - now)
                if self.tpm:
                    need = min(float(tokens), float(self.tpm))  # a request larger than a minute's budget waits for a full bucket
                    if self._tokens < need:
                        wait = max(wait, (need - self._tokens) * 60.0 / self.tpm)
                if wait <= 0:
                    break
                await self._sleep(wait)
            if self.rpm:
                self._next_start = max(self._next_start, self._clock()) + 60.0 / self.rpm
            if self.tpm:
                self._tokens -= tokens

    def settle(self, reserved: int, used: int) -> None:
        if self.tpm:
            self._refill()
            self._tokens += reserved - used
