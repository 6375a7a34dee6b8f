"""The OpenAI Batch API as alpaca-gen uses it: upload, create, wait, fetch, cancel.

Each step is its own call so the caller can write what it got (the input file's
id, then the batch's id) to the run state before anything waits on it: a run
killed between two steps finds out from the state which step to redo, and a
created batch is never created again. Calls go through the ``openai`` client (its
auth, headers and error classes); errors that retrying cannot fix become one-line
user errors, transient ones are retried with a growing pause.
"""
from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from typing import Callable

import openai

from ..client import keep_loopback_off_proxies
from ..errors import ApiRefusedError, ServerUnavailableError, redact
from ..server_errors import error_message
from .results import LineResult, read_results

FINAL = ("completed", "failed", "expired", "cancelled")


@dataclass
class BatchOutcome:
    """How a batch ended, and its lines by custom_id (answered and not)."""

    status: str
    results: dict[str, LineResult] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # the batch's own errors (a failed validation)
    problems: list[str] = field(default_factory=list)  # result lines that could not be read
    counts: dict = field(default_factory=dict)


def batch_errors(batch: dict) -> list[str]:
    """A batch's own errors (a failed validation), one line each."""
    return [f"line {e.get('line')}: {e.get('code')}: {e.get('message')}"
            for e in ((batch.get("errors") or {}).get("data") or [])]


class BatchAPI:
    def __init__(self, *, api_key: str, base_url: str, http_client=None, timeout: float = 600.0,
                 retries: int = 5, sleep: Callable[[float], object] = asyncio.sleep):
        self._key = api_key
        keep_loopback_off_proxies()
        self._client = openai.AsyncOpenAI(api_key=api_key or "no-key", base_url=base_url, max_retries=0,
                                          timeout=timeout, http_client=http_client)
        self._retries = retries
        self._sleep = sleep

    async def close(self) -> None:
        await self._client.close()

    async def _call(self, what: str, make):
        """One API call, retried on connection errors, timeouts, 429 and 5xx."""
        for attempt in range(self._retries + 1):
            try:
                return await make()
            except openai.APIStatusError as exc:
                status = exc.status_code
                message = redact(error_message(exc), (self._key,))
                if status in (408, 409, 429) or status >= 500:
                    if attempt == self._retries:
                        raise ServerUnavailableError(f"{what}: giving up after {attempt} retries (HTTP {status}): {message}") from None
                elif status == 401:
                    raise ApiRefusedError(f"{what}: the server rejected the API key (HTTP 401): {message}") from None
                elif status == 404:
                    raise ApiRefusedError(f"{what}: not found (HTTP 404); does this server have the Batch API? {message}") from None
                else:
                    raise ApiRefusedError(f"{what}: refused (HTTP {status}): {message}") from None
            except (openai.APIConnectionError, openai.APITimeoutError) as exc:
                if attempt == self._retries:
                    raise ServerUnavailableError(f"{what}: cannot reach the server: {redact(str(exc), (self._key,))}") from None
            await self._sleep(min(60.0, 0.5 * 2 ** attempt) * random.uniform(0.8, 1.2))
        raise AssertionError("unreachable")

    async def upload(self, data: bytes, name: str) -> str:
        """The id of the uploaded input file (purpose batch)."""
        uploaded = await self._call("uploading the batch file", lambda: self._client.files.create(
            file=(name, data, "application/jsonl"), purpose="batch"))
        return uploaded.id

    async def create(self, input_file_id: str, url: str, metadata: dict | None = None) -> dict:
        batch = await self._call("creating the batch", lambda: self._client.batches.create(
            input_file_id=input_file_id, endpoint=url, completion_window="24h", metadata=metadata))
        return batch.model_dump()

    async def retrieve(self, batch_id: str) -> dict:
        batch = await self._call(f"checking batch {batch_id}", lambda: self._client.batches.retrieve(batch_id))
        return batch.model_dump()

    async def list_batches(self, limit: int = 100) -> list[dict]:
        """The account's most recent batches (one page: a killed run's batch is among the newest)."""
        page = await self._call("listing batches", lambda: self._client.batches.list(limit=limit))
        return [batch.model_dump() for batch in page.data]

    async def cancel(self, batch_id: str) -> dict:
        batch = await self._call(f"cancelling batch {batch_id}", lambda: self._client.batches.cancel(batch_id))
        return batch.model_dump()

    async def wait(self, batch_id: str, *, interval: float, max_interval: float = 300.0,
                   on_status: Callable[[dict], None] | None = None) -> dict:
        """Poll until the batch ends, the pause growing by half each time up to ``max_interval``."""
        pause = interval
        while True:
            batch = await self.retrieve(batch_id)
            if on_status is not None:
                on_status(batch)
            if batch["status"] in FINAL:
                return batch
            await self._sleep(pause)
            pause = min(max_interval, pause * 1.5)

    async def outcome(self, batch: dict) -> BatchOutcome:
        """The ended batch's lines from its output and error files, joined on custom_id."""
        result = BatchOutcome(batch["status"], errors=batch_errors(batch), counts=dict(batch.get("request_counts") or {}))
        # The error file first: a custom_id answered in the output file wins over an error line.
        for key in ("error_file_id", "output_file_id"):
            file_id = batch.get(key)
            if not file_id:
                continue
            content = await self._call(f"downloading {file_id}", lambda: self._client.files.content(file_id))
            lines, problems = read_results(content.content, source=file_id)
            result.results.update(lines)
            result.problems.extend(problems)
        return result
