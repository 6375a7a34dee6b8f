"""The request layer: OpenAI or any OpenAI-compatible server, through the real client.

It knows which failures a retry can fix. A 429 rate limit waits as long as the
server asks (Retry-After, x-ratelimit-reset-*), with jitter, and halves the
concurrency it allows itself; 5xx, timeouts and dropped connections back off
exponentially a bounded number of times; a context-length 400 retries with a
smaller max_tokens and remembers it. Bad key, no access, unknown model and an
exhausted quota stop the run at once with the cause named, since no retry helps.

Responses are read raw and decoded by :func:`alpaca_gen.answers.decode_response`
(the same decoder a batch file goes through), not built into the SDK's pydantic
models, which the run never needs. The HTTP client is a parameter, so tests can
drive the real ``openai`` client over any transport in-process.
"""
from __future__ import annotations

import asyncio
import importlib
import os
import random
import re
import time
from dataclasses import dataclass, field
from typing import Callable

import openai

from .answers import RoundResult, Unusable, decode_response, request_body
from .config import RequestOptions
from .errors import ApiRefusedError, ServerUnavailableError, UsageError, redact
from .pacing import RateLimiter
from .server_errors import (
    CONTEXT_WORDS, ListPromptsUnsupported, Retry, error_code, error_message, is_unreachable, parse_duration,
    rejects_list_prompts, retry_after, smaller_max_tokens,
)

_HANGUL_SYLLABLES = re.compile("[\uac00-\ud7a3]")

__all__ = ["Endpoint", "RequestClient", "RateLimiter", "OPENAI_BASE_URL", "parse_duration", "retry_after",
           "smaller_max_tokens"]

OPENAI_BASE_URL = "https://api.openai.com/v1"
BACKOFF_CAP = 60.0


@dataclass(frozen=True)
class Endpoint:
    """Where requests go, resolved from flags and the environment."""

    model: str
    base_url: str | None = None
    api_key: str = ""
    api: str = "completions"  # or "chat"
    stop: list[str] = field(default_factory=list)


#: Hosts that are this machine: a request to them never goes through a proxy.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def where_requests_go(options, base_url: str | None, api_key: str | None) -> str:
    """Where a dry run says the requests would go: the URL (any key in it hidden), or, with
    --local, the server a real run starts (its port is not known before)."""
    if getattr(options, "runs_locally", False):
        return "the --local server (llama.cpp on 127.0.0.1, started by a real run)"
    return redact(base_url or OPENAI_BASE_URL, (api_key,))


def keep_loopback_off_proxies() -> None:
    """Add this machine to NO_PROXY. The HTTP client honours HTTP(S)_PROXY / ALL_PROXY, so on a
    machine whose proxy only reaches the internet a request to --local's server or to a server on
    127.0.0.1 would go to the proxy and fail as "cannot reach the server"."""
    for name in ("NO_PROXY", "no_proxy"):
        present = [host.strip() for host in os.environ.get(name, "").split(",") if host.strip()]
        missing = [host for host in LOOPBACK_HOSTS if host not in present]
        if missing and "*" not in present:
            os.environ[name] = ",".join(present + missing)


def _http_response_class(client_class: type) -> type:
    """The HTTP library's Response class for an HTTP client class: httpx, or the fork newer
    SDKs build on (the SDK's own wrapper classes sit above it in the MRO)."""
    for cls in client_class.__mro__:
        root = cls.__module__.split(".")[0]
        if root not in ("openai", "builtins"):
            module = importlib.import_module(root)
            if hasattr(module, "Response") and hasattr(module, "AsyncClient"):
                return module.Response
    raise UsageError(f"the HTTP client {client_class.__name__} is not an httpx client")


class RequestClient:
    """Sends rounds of prompts; one client per run. An :class:`~alpaca_gen.answers.AnswerSource`."""

    def __init__(self, endpoint: Endpoint, options: RequestOptions, *, max_tokens: int | None = None,
                 warn: Callable[[str], None] | None = None, http_client=None, limiter: RateLimiter | None = None,
                 list_prompts: bool = True):
        if endpoint.api not in ("completions", "chat"):
            raise UsageError(f"--api must be 'completions' or 'chat', got {endpoint.api!r}")
        self.endpoint = endpoint
        self.options = options
        self._warn = warn or (lambda message: None)
        keep_loopback_off_proxies()
        self._client = openai.AsyncOpenAI(
            api_key=endpoint.api_key or "no-key",
            base_url=endpoint.base_url or OPENAI_BASE_URL,
            max_retries=0,  # retries are decided here, by cause
            timeout=options.request_timeout,
            http_client=http_client,
        )
        self._response_class = _http_response_class(type(self._client._client))
        self._max_in_flight = max(1, options.concurrency)
        self._allowed = self._max_in_flight
        self._in_flight = 0
        self._slot = asyncio.Condition()
        self._waiting = 0  # requests waiting for a slot
        self._waking: set[asyncio.Task] = set()  # the wake-ups of waiting requests under way
        self._pause_until = 0.0
        self.succeeded = 0
        self.max_tokens = max_tokens or options.max_tokens
        # completions: send a round's prompts as one list-prompt request, until the server turns out not to take them
        self.list_prompts = list_prompts
        self.limiter = limiter or RateLimiter(options.rpm, options.tpm)
        # Running estimate of completion tokens per prompt, for --tpm reservations.
        self._completion_estimate = self.max_tokens / 2
        # The answered requests of rounds cancelled at a stop before all their prompts came back
        # (billed, so counted; see take_cut_short).
        self._cut_short: list[RoundResult] = []

    @property
    def in_flight(self) -> int:
        """Requests sent and not yet answered."""
        return self._in_flight

    async def close(self) -> None:
        await self._client.close()

    def take_cut_short(self) -> list[RoundResult]:
        """The usage of the requests answered in rounds a stop cancelled (each such round's
        answered part), once: they were billed though the round came to nothing."""
        taken, self._cut_short = self._cut_short, []
        return taken

    # -- concurrency ---------------------------------------------------------------------
    async def _acquire(self) -> None:
        # Wait out a rate-limit pause before taking a slot: a request sleeping is not
        # on the wire, and ``in_flight`` (abandoned calls at a stop) must not count it.
        while True:
            delay = self._pause_until - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
                continue
            if self._in_flight < self._allowed:  # the common case: no lock, no waiting
                self._in_flight += 1
                return
            self._waiting += 1
            try:
                async with self._slot:
                    await self._slot.wait_for(lambda: self._in_flight < self._allowed)
            finally:
                self._waiting -= 1

    def _release(self) -> None:
        # Not a coroutine: an answered request must not meet a cancellation point between
        # leaving ``in_flight`` and returning its body, or a stop would lose its (billed) usage.
        self._in_flight -= 1
        if self._waiting:
            task = asyncio.ensure_future(self._wake_waiting())
            self._waking.add(task)
            task.add_done_callback(self._waking.discard)

    async def _wake_waiting(self) -> None:
        async with self._slot:
            self._slot.notify_all()

    async def _on_rate_limited(self, wait: float) -> None:
        # Everyone waits out the limit, and fewer requests go out at once afterwards.
        self._pause_until = max(self._pause_until, time.monotonic() + wait)
        async with self._slot:
            self._allowed = max(1, self._allowed // 2)

    async def _on_success(self) -> None:
        self.succeeded += 1
        if self._allowed < self._max_in_flight:
            async with self._slot:
                self._allowed += 1
                self._slot.notify_all()

    # -- one HTTP request, classified -------------------------------------------------------
    def _backoff(self, attempt: int) -> float:
        return min(BACKOFF_CAP, self.options.backoff_base * (2**attempt)) * random.uniform(0.5, 1.0)

    def _where(self) -> str:
        return redact(self.endpoint.base_url or OPENAI_BASE_URL, (self.endpoint.api_key,))

    def _classify(self, exc: Exception, attempt: int) -> Exception:
        """Turn a client exception into Retry or a user-facing error to raise."""
        key = (self.endpoint.api_key,)
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            code = error_code(exc)
            message = redact(error_message(exc), key)
            if status == 429:
                if code == "insufficient_quota" or "quota" in message.lower():
                    return ApiRefusedError(f"the API quota is exhausted (HTTP 429 insufficient_quota): {message}")
                wait = retry_after(exc.response.headers if exc.response is not None else None)
                wait = self._backoff(attempt) if wait is None else wait + random.uniform(0, 0.25 * wait + 0.05)
                return Retry(wait, "rate limited (HTTP 429)")
            if status == 401:
                return ApiRefusedError(f"the server at {self._where()} rejected the API key (HTTP 401): {message}")
            if status == 403:
                return ApiRefusedError(f"access denied by {self._where()} (HTTP 403): {message}")
            if status == 404:
                return ApiRefusedError(f"model {self.endpoint.model!r} or endpoint not found at {self._where()} (HTTP 404): {message}")
            if status in (400, 413, 422) and (code == "context_length_exceeded" or CONTEXT_WORDS.search(message)):
                smaller = smaller_max_tokens(message, self.max_tokens)
                if smaller < 16:
                    return ApiRefusedError(f"the prompt alone fills the model's context: {message}")
                self._warn(f"context length exceeded; retrying with max_tokens {smaller} (was {self.max_tokens})")
                self.max_tokens = smaller
                return Retry(0.0, "context length")
            if status in (408, 409) or status >= 500:
                return Retry(self._backoff(attempt), f"server error (HTTP {status})")
            return ApiRefusedError(f"the server refused the request (HTTP {status}): {message}")
        if isinstance(exc, openai.APITimeoutError):
            return Retry(self._backoff(attempt), f"no answer within {self.options.request_timeout:g}s")
        if isinstance(exc, openai.APIConnectionError):
            # Fail fast only when the host cannot be reached at all (refused, unknown
            # name) and never has been; a connection dropped mid-answer is retried.
            if self.succeeded == 0 and attempt >= 1 and is_unreachable(exc):
                cause = exc.__cause__ or exc
                return ServerUnavailableError(f"cannot reach the server at {self._where()}: {redact(str(cause), key) or 'connection failed'}")
            return Retry(self._backoff(attempt), "connection failed")
        return exc

    def estimate_tokens(self, prompt: str | list[str]) -> int:
        """Prompt tokens (about 4 characters each; Hangul about 1 per syllable) plus expected completion."""
        prompts = [prompt] if isinstance(prompt, str) else prompt
        total = 0
        for text in prompts:
            hangul = len(_HANGUL_SYLLABLES.findall(text))
            total += (len(text) - hangul) // 4 + hangul + int(min(self.max_tokens, self._completion_estimate))
        return max(1, total)

    async def _send(self, prompt: str | list[str]):
        """POST the request through the SDK's client (its auth, headers, timeouts and error
        classes) and take the HTTP response as it came: no validation of our own plain dict
        against the SDK's typed parameters, no response models."""
        e = self.endpoint
        path, body = request_body(e.api, e.model, prompt, max_tokens=self.max_tokens, temperature=self.options.temperature,
                                  top_p=self.options.top_p, stop=e.stop)
        return await self._client.post(path, body=body, cast_to=self._response_class)

    async def _call(self, prompt: str | list[str]) -> tuple[bytes | None, int, int]:
        """One logical request with retries: the response body (None when it could not
        be read), the retries it took, and the tokens reserved for it under --tpm."""
        o = self.options
        attempt = 0
        rate_limited = 0
        while True:
            reserved = self.estimate_tokens(prompt) if self.limiter.tpm else 0  # an estimate only --tpm needs
            await self.limiter.reserve(reserved)
            await self._acquire()
            try:
                raw = await self._send(prompt)
                body = raw.content
            except openai.APIError as exc:
                self._release()
                if isinstance(exc, openai.APIResponseValidationError):
                    self.limiter.settle(reserved, reserved)
                    return None, attempt + rate_limited, reserved
                self.limiter.settle(reserved, 0 if isinstance(exc, openai.APIConnectionError) else reserved)
                if isinstance(prompt, list) and self.succeeded == 0 and rejects_list_prompts(exc):
                    raise ListPromptsUnsupported() from None
                outcome = self._classify(exc, attempt)
                if not isinstance(outcome, Retry):
                    raise outcome from None
                if outcome.why.startswith("rate limited"):
                    rate_limited += 1
                    await self._on_rate_limited(outcome.delay)
                    exhausted = rate_limited > o.max_retries * 2 + 4
                else:
                    attempt += 1
                    exhausted = attempt > o.max_retries
                if exhausted:
                    raise ServerUnavailableError(
                        f"giving up on {self._where()} after {attempt + rate_limited - 1} retries: {outcome.why}"
                    ) from None
                if self.succeeded or outcome.why != "connection failed":
                    # Before anything has worked, a refused connection is either fixed by the
                    # quick retry or reported once as "cannot reach"; no line per request.
                    self._warn(f"{outcome.why}; retrying in {outcome.delay:.1f}s")
                if outcome.delay > 0 and not outcome.why.startswith("rate limited"):
                    await asyncio.sleep(outcome.delay)
                continue
            self._release()
            await self._on_success()  # no await inside: no cancellation point either
            return body, attempt + rate_limited, reserved

    def _settle(self, sent: str | list[str], reserved: int, prompt_tokens: int, completion_tokens: int) -> None:
        """Correct the --tpm reservation and the completion estimate with real usage."""
        if prompt_tokens or completion_tokens:
            self.limiter.settle(reserved, prompt_tokens + completion_tokens)
            n = 1 if isinstance(sent, str) else max(1, len(sent))
            self._completion_estimate = 0.8 * self._completion_estimate + 0.2 * (completion_tokens / n)

    def calls_for(self, n_prompts: int) -> int:
        # One call per prompt on chat, and on completions once the server turned out not to take list prompts.
        return 1 if self.endpoint.api == "completions" and self.list_prompts else n_prompts

    async def answer(self, prompts: list[str], round_number: int | None = None) -> RoundResult:
        """Send one round; answers come back in prompt order (``round_number`` is not needed live)."""
        api = self.endpoint.api
        result = RoundResult(choices=[Unusable("garbled")] * len(prompts))
        if api == "completions" and self.list_prompts and len(prompts) > 1:
            try:
                body, retries, reserved = await self._call(prompts)
            except ListPromptsUnsupported:
                if self.list_prompts:
                    self.list_prompts = False
                    self._warn("the server failed a list-prompt request; sending one prompt per request from now on")
                result.api_calls = 1
            else:
                result.api_calls = 1
                result.retries = retries
                self._take(result, body, prompts, range(len(prompts)), reserved)
                return result
        calls = [asyncio.ensure_future(self._call(p)) for p in prompts]
        try:
            outcomes = await asyncio.gather(*calls)
        except asyncio.CancelledError:
            self._keep_cut_short(prompts, calls)
            raise
        result.api_calls += len(prompts)
        for position, (body, retries, reserved) in enumerate(outcomes):
            result.retries += retries
            self._take(result, body, prompts[position], [position], reserved)
        return result

    def _keep_cut_short(self, prompts: list[str], calls: list[asyncio.Future]) -> None:
        answered = RoundResult(choices=[Unusable("garbled")] * len(prompts))
        for position, call in enumerate(calls):
            if call.done() and not call.cancelled() and call.exception() is None:
                body, retries, reserved = call.result()
                answered.api_calls += 1
                answered.retries += retries
                self._take(answered, body, prompts[position], [position], reserved)
        if answered.api_calls:
            self._cut_short.append(answered)

    def _take(self, result: RoundResult, body: bytes | None, sent: str | list[str], positions, reserved: int) -> None:
        """Put one response's answers and usage into the round."""
        if body is None:
            return
        positions = list(positions)
        decoded = decode_response(body, self.endpoint.api, len(positions))
        result.prompt_tokens += decoded.prompt_tokens
        result.completion_tokens += decoded.completion_tokens
        for position, choice in zip(positions, decoded.choices):
            result.choices[position] = choice
        self._settle(sent, reserved, decoded.prompt_tokens, decoded.completion_tokens)
