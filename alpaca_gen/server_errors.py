"""What a server's answer means when it is not a success: how long a 429 asks to wait,
whether a 400 is a context-length error, whether the server cannot take list prompts,
whether the host cannot be reached at all."""
from __future__ import annotations

import re

import openai


class ListPromptsUnsupported(Exception):
    """The server failed a list prompt before anything had worked (llama.cpp's server does)."""


class Retry(Exception):
    def __init__(self, delay: float, why: str):
        self.delay = delay
        self.why = why


_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$")


def parse_duration(value: str) -> float | None:
    """Seconds in OpenAI's reset headers ("1s", "6m0s", "20ms") or Retry-After ("2", "0.5")."""
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    match = _DURATION.match(value)
    if not match or not any(match.groups()):
        return None
    h, m, s, ms = (float(g) if g else 0.0 for g in match.groups())
    return h * 3600 + m * 60 + s + ms / 1000


def retry_after(headers) -> float | None:
    """The wait a 429 asks for: retry-after-ms, retry-after, then the longest x-ratelimit-reset-*."""
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return float(ms) / 1000
        except ValueError:
            pass
    for name in ("retry-after",):
        if headers.get(name):
            seconds = parse_duration(headers[name])
            if seconds is not None:
                return seconds
    resets = [parse_duration(headers[h]) for h in ("x-ratelimit-reset-requests", "x-ratelimit-reset-tokens") if headers.get(h)]
    resets = [r for r in resets if r is not None]
    return max(resets) if resets else None


CONTEXT_WORDS = re.compile(r"context length|context window|maximum context|reduce the length|too many tokens|exceeds? the (?:model'?s? )?(?:maximum|context)", re.I)


def error_code(exc: openai.APIStatusError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    err = body.get("error", body) if isinstance(body.get("error", body), dict) else body
    return str(err.get("code") or err.get("type") or "")


def server_message(exc: openai.APIStatusError) -> str:
    """The message in the error body as the server sent it ("" when it sent none)."""
    body = exc.body if isinstance(exc.body, dict) else {}
    err = body.get("error", body)
    if isinstance(err, dict):
        return str(err.get("message") or "").strip()
    return str(err or "").strip()


def error_message(exc: openai.APIStatusError) -> str:
    # openai's own text ("Error code: 500") stands in when the server sent no message.
    return server_message(exc) or str(exc.message)


def smaller_max_tokens(message: str, current: int) -> int:
    """A max_tokens that fits: from the numbers in the error when it gives them, else 80%."""
    limit = re.search(r"maximum context length is (\d+)", message) or re.search(r"context (?:length|window)[^\d]{0,20}(\d+)", message)
    used = re.search(r"\((\d+) in (?:your prompt|the messages|the prompt)", message) or re.search(r"(\d+) (?:prompt|input) tokens", message)
    if limit and used:
        fit = int(limit.group(1)) - int(used.group(1)) - 16
        if 0 < fit < current:
            return fit
    return int(current * 0.8)


_LIST_PROMPT_WORDS = re.compile(r"prompt|array|list|unmarshal|string", re.I)


def rejects_list_prompts(exc: Exception) -> bool:
    """Does this error look like a server that cannot take a list of prompts?

    llama.cpp's server answers a list with HTTP 500 and an empty message; Ollama
    with a 400 about unmarshalling an array into a string. A 500 with a message
    is an ordinary server error and is retried as one.
    """
    if not isinstance(exc, openai.APIStatusError):
        return False
    message = server_message(exc)  # not openai's "Error code: 500" stand-in for an empty one
    if exc.status_code in (500, 501):
        return message in ("", "None", "Internal Server Error")
    if exc.status_code in (400, 422):
        return bool(_LIST_PROMPT_WORDS.search(message)) and not CONTEXT_WORDS.search(message)
    return False


def is_unreachable(exc: Exception) -> bool:
    seen = set()
    cause = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, (ConnectionRefusedError, OSError)) and not isinstance(cause, (ConnectionResetError, BrokenPipeError, TimeoutError)):
            if isinstance(cause, ConnectionRefusedError) or getattr(cause, "errno", None) is not None or "Name or service" in str(cause):
                return True
        if type(cause).__name__ == "ConnectError":
            return True
        cause = cause.__cause__ or cause.__context__
    return False
