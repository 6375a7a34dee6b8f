"""Batch lines, results and the Batch API client, against the fake server over real HTTP.

A wave's answers must be the answers live mode gets for the same prompts: the
lines carry the live request bodies, and the results decode the same way.
"""
from __future__ import annotations

import asyncio
import json

import pytest

from alpaca_gen.answers import Choice
from alpaca_gen.batch import (BatchAPI, custom_id, parse_custom_id, read_results, round_requests, round_result,
                              split_files)
from alpaca_gen.client import Endpoint, RequestClient
from alpaca_gen.config import GenerateConfig

PROMPTS = {r: [f"Round {r}, prompt {k}: come up with tasks.\n1. Instruction:" for k in range(3)] for r in range(4)}
SETTINGS = dict(model="fake-model", max_tokens=128, temperature=1.0, top_p=1.0, stop=["\n20. Instruction:"])


def _requests(api: str, rounds=range(4)):
    return [req for r in rounds for req in round_requests(r, PROMPTS[r], api=api, **SETTINGS)]


def test_custom_ids_name_round_and_prompt():
    assert custom_id(12) == "r000012" and custom_id(12, 3) == "r000012-p3"
    assert parse_custom_id("r000012-p3") == (12, 3) and parse_custom_id("r1234567") == (1234567, None)
    for bad in ("x1", "r12", "r000012-p", None, 7):
        with pytest.raises(ValueError):
            parse_custom_id(bad)


def test_a_completions_round_is_one_line_a_chat_round_one_line_a_prompt():
    completions = round_requests(5, PROMPTS[0], api="completions", **SETTINGS)
    assert [(r.custom_id, r.positions, r.url) for r in completions] == [("r000005", (0, 1, 2), "/v1/completions")]
    assert completions[0].body["prompt"] == PROMPTS[0]
    chat = round_requests(5, PROMPTS[0], api="chat", **SETTINGS)
    assert [r.custom_id for r in chat] == ["r000005-p0", "r000005-p1", "r000005-p2"]
    assert chat[1].body["messages"] == [{"role": "user", "content": PROMPTS[0][1]}]
    line = json.loads(chat[0].line())
    assert line == {"custom_id": "r000005-p0", "method": "POST", "url": "/v1/chat/completions", "body": chat[0].body}


def test_files_keep_rounds_whole_and_within_limits():
    requests = _requests("chat")  # 4 rounds of 3 lines
    files = split_files(requests, max_requests=7)
    assert [f.count(b"\n") for f in files] == [6, 6]  # 9 would split round 2
    assert b"".join(files) == b"".join(r.line() for r in requests)
    size = len(requests[0].line()) * 4
    assert all(len(f) <= size for f in split_files(requests, max_bytes=size))
    with pytest.raises(ValueError):
        split_files(requests, max_requests=2)


def test_the_lines_ask_what_live_requests_ask(fake):
    """The body of a batch line equals the body the live client posts for the same round."""
    config = GenerateConfig(model_name="fake-model", api="chat", max_tokens=128, api_key="sk-test",
                            base_url=fake.base_url)
    client = RequestClient(Endpoint("fake-model", fake.base_url, "sk-test", "chat", ["\n20. Instruction:"]), config)

    async def live():
        await client.answer(PROMPTS[0])
        await client.close()

    asyncio.run(live())
    posted = sorted((r["body"] for r in fake.requests if r["path"] == "/v1/chat/completions"),
                    key=lambda b: b["messages"][0]["content"])
    lines = round_requests(0, PROMPTS[0], api="chat", model="fake-model", max_tokens=128,
                           temperature=config.temperature, top_p=config.top_p, stop=["\n20. Instruction:"])
    assert [r.body for r in lines] == posted


def test_results_join_on_custom_id_and_say_what_is_missing():
    requests = round_requests(0, PROMPTS[0], api="chat", **SETTINGS)
    body = {"choices": [{"index": 0, "message": {"content": "1. Instruction: x"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 4}}
    data = "\n".join([
        json.dumps({"custom_id": "r000000-p2", "response": {"status_code": 200, "body": body}, "error": None}),
        json.dumps({"custom_id": "r000000-p0", "response": {"status_code": 200, "body": body}, "error": None}),
        json.dumps({"custom_id": "r000000-p1", "response": None, "error": {"code": "batch_expired", "message": "late"}}),
        "{not json", json.dumps({"custom_id": "someone-else", "response": None}),
    ]).encode()
    results, problems = read_results(data, source="out.jsonl")
    assert len(problems) == 2 and problems[0].startswith("out.jsonl:4:")
    assert results["r000000-p1"].error == "batch_expired" and not results["r000000-p1"].answered
    assert round_result(requests, results, "chat", 3) is None  # p1 has no answer yet
    results["r000000-p1"] = results["r000000-p0"]
    answered = round_result(requests, results, "chat", 3)
    assert answered.choices == [Choice("1. Instruction: x", "stop")] * 3
    assert (answered.prompt_tokens, answered.completion_tokens, answered.api_calls) == (30, 12, 3)


def _run_wave(fake, api: str, rounds=range(4), **wait):
    pauses: list[float] = []

    async def no_sleep(seconds):
        pauses.append(seconds)

    async def go():
        batch_api = BatchAPI(api_key="sk-test", base_url=fake.base_url, sleep=no_sleep)
        requests = _requests(api, rounds)
        [data] = split_files(requests)
        file_id = await batch_api.upload(data, "wave-1.jsonl")
        created = await batch_api.create(file_id, requests[0].url)
        ended = await batch_api.wait(created["id"], interval=wait.get("interval", 2.0), max_interval=5.0)
        outcome = await batch_api.outcome(ended)
        await batch_api.close()
        return requests, outcome

    requests, outcome = asyncio.run(go())
    return requests, outcome, pauses


@pytest.mark.parametrize("api", ["completions", "chat"])
def test_a_wave_through_the_batch_api_answers_as_live_mode_does(fake, api):
    fake.batches.mode.polls_per_status = 2
    requests, outcome, pauses = _run_wave(fake, api)
    assert outcome.status == "completed" and not outcome.problems
    assert pauses == [2.0, 3.0, 4.5, 5.0, 5.0]  # growing by half, up to the cap
    config = GenerateConfig(model_name="fake-model", api=api, max_tokens=128, api_key="sk-test", base_url=fake.base_url)
    client = RequestClient(Endpoint("fake-model", fake.base_url, "sk-test", api, ["\n20. Instruction:"]), config)

    async def live():
        answers = [await client.answer(PROMPTS[r]) for r in range(4)]
        await client.close()
        return answers

    for r, answered_live in enumerate(asyncio.run(live())):
        batch = round_result([q for q in requests if q.round == r], outcome.results, api, 3)
        assert batch is not None
        assert batch.choices == answered_live.choices
    assert len(fake.batches.created) == 1


def test_an_expired_wave_keeps_the_answered_lines(fake):
    fake.batches.mode.outcome, fake.batches.mode.expire_after = "expired", 5
    requests, outcome, _ = _run_wave(fake, "chat")
    assert outcome.status == "expired"
    answered = [cid for cid, line in outcome.results.items() if line.answered]
    assert len(answered) == 5 and len(outcome.results) == 12
    assert {line.error for line in outcome.results.values() if not line.answered} == {"batch_expired"}
    complete = [r for r in range(4) if round_result([q for q in requests if q.round == r], outcome.results, "chat", 3)]
    assert complete == [0]  # round 1 has 2 of its 3 answers: it goes into the next wave whole


def test_a_failed_wave_reports_the_batch_errors(fake):
    fake.batches.mode.outcome = "failed"
    _, outcome, _ = _run_wave(fake, "completions")
    assert outcome.status == "failed" and outcome.results == {}
    assert outcome.errors and "invalid_request" in outcome.errors[0]


def test_api_errors_are_one_line_user_errors(fake):
    from alpaca_gen.errors import ApiRefusedError

    async def go():
        batch_api = BatchAPI(api_key="sk-secret-123", base_url=fake.base_url)
        try:
            await batch_api.retrieve("batch_missing")
        finally:
            await batch_api.close()

    with pytest.raises(ApiRefusedError, match="not found") as caught:
        asyncio.run(go())
    assert "sk-secret-123" not in str(caught.value)


def test_closing_a_stopped_source_leaves_no_poll_running(fake, tmp_path):
    """Ctrl-C cancels the rounds; the wave they waited on is shielded from them, so close() must stop
    it too, or its next poll meets the closed client and a traceback lands on stderr."""
    from alpaca_gen.batch.ledger import BatchLedger
    from alpaca_gen.batch.source import BatchSource, RequestSettings

    fake.batches.mode.polls_per_status = 10_000
    warnings: list[str] = []

    async def go():
        api = BatchAPI(api_key="sk-test", base_url=fake.base_url)
        source = BatchSource(api, BatchLedger(tmp_path), RequestSettings("completions", **{
            k: SETTINGS[k] for k in ("model", "temperature", "top_p", "stop")}), max_tokens=128,
            poll_interval=0.01, max_retries=2, warn=warnings.append)
        asking = asyncio.ensure_future(source.answer(PROMPTS[0], round_number=0))
        while not any(b.polls >= 2 for b in fake.batches.batches.values()):
            await asyncio.sleep(0.01)
        asking.cancel()
        await asyncio.gather(asking, return_exceptions=True)
        await source.close()
        return [(w.done(), w.cancelled()) for w in source._waves.values()]

    waves = asyncio.run(go())
    assert waves and all(done and cancelled for done, cancelled in waves), waves
    assert any("goes on at the server" in w for w in warnings)
