"""Where answers come from, and what a response body says.

A run asks for rounds of prompts and gets back, for each prompt, a choice (the
model's text and why it stopped) or the reason there is none. Where the answers
come from is an :class:`AnswerSource`: today the live client
(:class:`alpaca_gen.client.RequestClient`); a batch job or a file of answers can
feed the same committer, since what happens to an answered round (parse → rules
→ near-duplicates → ordered commit) does not depend on it.

:func:`decode_response` turns a response body of ``/v1/completions`` or
``/v1/chat/completions`` into choices. It is pure, so every source decodes the
same way: the live client's HTTP body, a Batch API output line's ``response.body``,
a saved file.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Choice:
    text: str
    finish_reason: str | None = None


@dataclass(frozen=True)
class Unusable:
    """No text for this prompt: ``garbled`` (no decodable choice) or ``empty_completion``."""

    reason: str


Answer = Choice | Unusable


@dataclass
class RoundResult:
    """What one round of prompts came back as: one answer per prompt, in prompt order."""

    choices: list[Answer]
    api_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    retries: int = 0


@dataclass
class DecodedResponse:
    choices: list[Answer] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0


class AnswerSource(Protocol):
    """Answers rounds of prompts. ``max_tokens`` is the current completion limit (a
    source may lower it after a context-length error); ``in_flight`` the requests
    sent and not yet answered."""

    max_tokens: int

    @property
    def in_flight(self) -> int: ...

    def calls_for(self, n_prompts: int) -> int:
        """The API calls a round of ``n_prompts`` prompts will take (for --max_requests)."""
        ...

    async def answer(self, prompts: list[str], round_number: int | None = None) -> RoundResult:
        """Answer one round; ``round_number`` names it (a batch source keys its lines on it)."""
        ...

    async def close(self) -> None: ...


class ChatPrompt(str):
    """A chat API prompt with a system message: the text is the user message, ``system``
    goes before it. A str, so every layer that measures, keys or sends prompts takes it
    as it takes a plain one; only :func:`request_body` looks at the system message."""

    system: str

    def __new__(cls, user: str, system: str) -> "ChatPrompt":
        prompt = super().__new__(cls, user)
        prompt.system = system
        return prompt


def request_body(api: str, model: str, prompt: str | list[str], *, max_tokens: int, temperature: float,
                 top_p: float, stop: list[str] | None = None) -> tuple[str, dict]:
    """The path (under /v1) and JSON body of one generation request. Live requests and
    Batch API lines are built here, so both ask exactly the same."""
    body: dict = {"model": model, "max_tokens": max_tokens, "temperature": temperature, "top_p": top_p}
    if stop:
        body["stop"] = list(stop)
    if api == "chat":
        system = getattr(prompt, "system", None)
        body["messages"] = ([{"role": "system", "content": system}] if system else []) + [
            {"role": "user", "content": str(prompt)}]
        return "/chat/completions", body
    body["prompt"] = prompt
    return "/completions", body


def _count(usage: object, name: str) -> int:
    """A token count from ``usage``; missing, negative or garbled counts are 0."""
    if not isinstance(usage, dict):
        return 0
    value = usage.get(name)
    if isinstance(value, bool):
        return 0
    try:
        return max(0, int(value))
    except (TypeError, ValueError, OverflowError):
        return 0


def _chat_text(choice: dict) -> object:
    message = choice.get("message")
    if not isinstance(message, dict):
        return None
    content = message.get("content")
    if isinstance(content, list):  # content parts: keep the text ones
        parts = [part.get("text") for part in content if isinstance(part, dict) and isinstance(part.get("text"), str)]
        return "".join(parts) if parts else None
    return content


def decode_response(body: object, api: str, n_prompts: int) -> DecodedResponse:
    """The choices of one response, in prompt order, from its JSON body (bytes, str or
    parsed). ``n_prompts`` is how many prompts the request carried (a completions
    list prompt carries several; its choices say which by ``index``)."""
    decoded = DecodedResponse([Unusable("garbled")] * n_prompts)
    if isinstance(body, (bytes, bytearray, str)):
        try:
            body = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return decoded
    if not isinstance(body, dict):
        return decoded
    usage = body.get("usage")
    decoded.prompt_tokens = _count(usage, "prompt_tokens")
    decoded.completion_tokens = _count(usage, "completion_tokens")
    choices = body.get("choices")
    if not isinstance(choices, list):
        return decoded
    for position, choice in enumerate(choices):
        if not isinstance(choice, dict):
            continue
        index = choice.get("index", position if n_prompts == 1 else None)
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < n_prompts:
            continue
        if not isinstance(decoded.choices[index], Unusable):
            continue  # the first choice for a prompt wins (n > 1 is never asked for)
        text = _chat_text(choice) if api == "chat" else choice.get("text")
        finish = choice.get("finish_reason")
        finish = finish if isinstance(finish, str) else None
        if not isinstance(text, str):
            continue
        decoded.choices[index] = Choice(text, finish) if text.strip() else Unusable("empty_completion")
    return decoded
