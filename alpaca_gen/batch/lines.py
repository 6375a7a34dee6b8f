"""Batch input files: a wave of rounds as OpenAI batch JSONL lines.

Each line is ``{custom_id, method: "POST", url, body}`` with the body a live request
would send (:func:`alpaca_gen.answers.request_body`). A round of the completions API
is one line carrying its prompts as a list prompt (``custom_id`` ``r000012``); on the
chat API each prompt is a line of its own (``r000012-p3``). The ids name the round
and the prompt, so answers that come back in any order, from any engine that writes
the OpenAI batch output format, go back to their place.

OpenAI takes at most 50,000 requests and 200 MB per input file; :func:`split_files`
cuts a wave into files that fit.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

from ..answers import request_body

MAX_REQUESTS_PER_FILE = 50_000
MAX_BYTES_PER_FILE = 200 * 1024 * 1024
_CUSTOM_ID = re.compile(r"r(\d{6,})(?:-p(\d+))?")


@dataclass(frozen=True)
class BatchRequest:
    custom_id: str
    round: int
    positions: tuple[int, ...]  # the round's prompts this request carries
    url: str  # /v1/completions or /v1/chat/completions
    body: dict

    def line(self) -> bytes:
        obj = {"custom_id": self.custom_id, "method": "POST", "url": self.url, "body": self.body}
        return (json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def custom_id(round_no: int, position: int | None = None) -> str:
    return f"r{round_no:06d}" if position is None else f"r{round_no:06d}-p{position}"


def parse_custom_id(text: object) -> tuple[int, int | None]:
    """(round, prompt position or None) of a custom_id we wrote; ValueError for any other."""
    match = _CUSTOM_ID.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"not a custom_id of alpaca-gen: {text!r}")
    return int(match.group(1)), (int(match.group(2)) if match.group(2) is not None else None)


def round_requests(round_no: int, prompts: list[str], *, api: str, model: str, max_tokens: int, temperature: float,
                   top_p: float, stop: list[str] | None = None) -> list[BatchRequest]:
    """The batch lines of one round, as the live client would send it."""
    def build(prompt, cid, positions):
        path, body = request_body(api, model, prompt, max_tokens=max_tokens, temperature=temperature, top_p=top_p,
                                  stop=stop)
        return BatchRequest(cid, round_no, positions, "/v1" + path, body)

    if api == "completions":
        prompt = prompts[0] if len(prompts) == 1 else list(prompts)
        return [build(prompt, custom_id(round_no), tuple(range(len(prompts))))]
    return [build(p, custom_id(round_no, k), (k,)) for k, p in enumerate(prompts)]


def split_files(requests: list[BatchRequest], *, max_requests: int = MAX_REQUESTS_PER_FILE,
                max_bytes: int = MAX_BYTES_PER_FILE) -> list[bytes]:
    """The wave's input files, each within OpenAI's limits; a round's lines never straddle two files."""
    files: list[bytes] = []
    current: list[bytes] = []
    size = count = 0
    i = 0
    while i < len(requests):
        j = i
        while j < len(requests) and requests[j].round == requests[i].round:
            j += 1
        lines = [r.line() for r in requests[i:j]]
        extra = sum(len(x) for x in lines)
        if len(lines) > max_requests or extra > max_bytes:
            raise ValueError(f"round {requests[i].round} alone exceeds a batch file's limits")
        if current and (count + len(lines) > max_requests or size + extra > max_bytes):
            files.append(b"".join(current))
            current, size, count = [], 0, 0
        current.extend(lines)
        size += extra
        count += len(lines)
        i = j
    if current:
        files.append(b"".join(current))
    return files
