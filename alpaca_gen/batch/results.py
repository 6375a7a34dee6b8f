"""Batch output files: lines in the OpenAI batch output format, back into rounds.

An output line is ``{id, custom_id, response: {status_code, request_id, body},
error}``. OpenAI puts answered requests in the output file and failed or expired
ones in the error file; vLLM's run-batch writes both kinds into one file. Either
way each line is joined on ``custom_id`` and decoded by the same
:func:`~alpaca_gen.answers.decode_response` as a live response.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from ..answers import RoundResult, Unusable, decode_response
from .lines import BatchRequest, parse_custom_id


@dataclass(frozen=True)
class LineResult:
    custom_id: str
    body: dict | None  # the response body of an answered request
    error: str | None = None  # why there is none: batch_expired, http_500: ..., ...

    @property
    def answered(self) -> bool:
        return self.body is not None


def read_results(data: bytes, *, source: str = "results") -> tuple[dict[str, LineResult], list[str]]:
    """Every line of an output or error file by custom_id, and the problems of lines that could not be read."""
    results: dict[str, LineResult] = {}
    problems: list[str] = []
    for number, text in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        if not text.strip():
            continue
        try:
            line = json.loads(text)
            cid = line["custom_id"]
            parse_custom_id(cid)
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(f"{source}:{number}: {exc}")
            continue
        results[cid] = _line_result(cid, line)
    return results, problems


def _line_result(cid: str, line: dict) -> LineResult:
    response = line.get("response") if isinstance(line.get("response"), dict) else None
    error = line.get("error")
    if response is not None and response.get("status_code") == 200 and isinstance(response.get("body"), dict):
        return LineResult(cid, response["body"])
    if isinstance(error, dict):
        return LineResult(cid, None, str(error.get("code") or error.get("message") or "error"))
    if response is not None:
        body = response.get("body") if isinstance(response.get("body"), dict) else {}
        message = (body.get("error") or {}).get("message", "") if isinstance(body.get("error"), dict) else ""
        return LineResult(cid, None, f"http_{response.get('status_code')}" + (f": {message}" if message else ""))
    return LineResult(cid, None, "no response")


def round_result(requests: list[BatchRequest], results: dict[str, LineResult], api: str,
                 n_prompts: int) -> RoundResult | None:
    """One round's answers from its requests' lines; None while some line has no answer yet."""
    result = RoundResult(choices=[Unusable("garbled")] * n_prompts, api_calls=len(requests))
    for request in requests:
        line = results.get(request.custom_id)
        if line is None or not line.answered:
            return None
        decoded = decode_response(line.body, api, len(request.positions))
        result.prompt_tokens += decoded.prompt_tokens
        result.completion_tokens += decoded.completion_tokens
        for position, choice in zip(request.positions, decoded.choices):
            result.choices[position] = choice
    return result
