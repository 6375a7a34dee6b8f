"""The fake server's Files and Batch APIs, driven by the real ``openai`` client over HTTP.

These are the ground the batch mode of generate stands on: the status sequence,
the join on custom_id, and the failed, expired, error-line and cancel endings.
"""
from __future__ import annotations

import json

import openai
import pytest


def _client(fake) -> openai.OpenAI:
    return openai.OpenAI(base_url=fake.base_url, api_key="sk-test", max_retries=0)


def _requests(n: int, *, model: str = "fake-model", url: str = "/v1/completions") -> bytes:
    lines = []
    for i in range(n):
        body = ({"model": model, "prompt": f"Task {i}\n1. Instruction:", "max_tokens": 64} if url == "/v1/completions"
                else {"model": model, "messages": [{"role": "user", "content": f"Task {i}"}], "max_tokens": 64})
        lines.append(json.dumps({"custom_id": f"r{i}", "method": "POST", "url": url, "body": body}))
    return ("\n".join(lines) + "\n").encode("utf-8")


def _run(client, data: bytes, endpoint: str = "/v1/completions", polls: int = 50):
    uploaded = client.files.create(file=("wave.jsonl", data), purpose="batch")
    batch = client.batches.create(input_file_id=uploaded.id, endpoint=endpoint, completion_window="24h")
    seen = [batch.status]
    for _ in range(polls):
        batch = client.batches.retrieve(batch.id)
        if seen[-1] != batch.status:
            seen.append(batch.status)
        if batch.status in ("completed", "failed", "expired", "cancelled"):
            break
    return batch, seen


def _lines(client, file_id) -> list[dict]:
    return [json.loads(line) for line in client.files.content(file_id).text.splitlines()] if file_id else []


@pytest.mark.parametrize("endpoint", ["/v1/completions", "/v1/chat/completions"])
def test_a_batch_runs_through_its_statuses_and_answers_every_line(fake, endpoint):
    client = _client(fake)
    batch, seen = _run(client, _requests(5, url=endpoint), endpoint)
    assert seen == ["validating", "in_progress", "finalizing", "completed"]
    assert batch.request_counts.total == 5 and batch.request_counts.completed == 5
    out = _lines(client, batch.output_file_id)
    assert sorted(line["custom_id"] for line in out) == [f"r{i}" for i in range(5)]
    assert [line["custom_id"] for line in out] != [f"r{i}" for i in range(5)]  # join on custom_id, not order
    body = out[0]["response"]["body"]
    assert out[0]["response"]["status_code"] == 200 and body["usage"]["prompt_tokens"] > 0
    text = body["choices"][0]["text"] if endpoint == "/v1/completions" else body["choices"][0]["message"]["content"]
    assert "Instruction:" in text or text
    assert batch.error_file_id is None
    assert fake.batches.created == [{"id": batch.id, "input_file_id": batch.input_file_id, "endpoint": endpoint,
                                     "requests": 5}]


def test_slow_polls_stay_in_each_status(fake):
    fake.batches.mode.polls_per_status = 3
    batch, seen = _run(_client(fake), _requests(2))
    assert seen[-1] == "completed"
    # 3 retrieves in each status: validating (and create), in_progress, finalizing; completed on the 9th
    assert fake.batches.batches[batch.id].polls == 9


def test_a_failed_batch_says_why(fake):
    client = _client(fake)
    bad = _requests(2) + b'{"custom_id": "r0", "method": "POST", "url": "/v1/completions", "body": {"model": "fake-model"}}\n'
    batch, seen = _run(client, bad)
    assert seen == ["validating", "failed"]
    assert batch.errors.data[0].code == "duplicate_custom_id" and batch.errors.data[0].line == 3
    assert batch.output_file_id is None
    mixed = _requests(1) + _requests(1, model="other-model").replace(b'"r0"', b'"r9"')
    batch, _ = _run(client, mixed)
    assert batch.status == "failed" and batch.errors.data[0].code == "mismatched_model"


def test_an_expired_batch_keeps_what_it_answered(fake):
    fake.batches.mode.outcome, fake.batches.mode.expire_after = "expired", 3
    client = _client(fake)
    batch, seen = _run(client, _requests(5))
    assert seen[-1] == "expired"
    assert (batch.request_counts.completed, batch.request_counts.failed) == (3, 2)
    assert sorted(line["custom_id"] for line in _lines(client, batch.output_file_id)) == ["r0", "r1", "r2"]
    errors = _lines(client, batch.error_file_id)
    assert [(e["custom_id"], e["error"]["code"]) for e in errors] == [("r3", "batch_expired"), ("r4", "batch_expired")]


def test_error_lines_go_to_the_error_file(fake):
    fake.batches.mode.error_every = 2
    client = _client(fake)
    batch, _ = _run(client, _requests(4))
    assert batch.status == "completed" and batch.request_counts.failed == 2
    errors = _lines(client, batch.error_file_id)
    assert sorted(e["custom_id"] for e in errors) == ["r1", "r3"]
    assert all(e["response"]["status_code"] == 500 for e in errors)


def test_cancel_ends_in_cancelled(fake):
    fake.batches.mode.polls_per_status = 5
    client = _client(fake)
    uploaded = client.files.create(file=("wave.jsonl", _requests(2)), purpose="batch")
    batch = client.batches.create(input_file_id=uploaded.id, endpoint="/v1/completions", completion_window="24h")
    assert client.batches.cancel(batch.id).status == "cancelling"
    assert client.batches.retrieve(batch.id).status == "cancelled"
    assert [b.id for b in client.batches.list()] == [batch.id]


def test_bad_calls_get_openai_errors(fake):
    client = _client(fake)
    with pytest.raises(openai.NotFoundError):
        client.batches.retrieve("batch_missing")
    with pytest.raises(openai.NotFoundError):
        client.files.content("file-missing")
    with pytest.raises(openai.BadRequestError):
        client.batches.create(input_file_id="file-missing", endpoint="/v1/completions", completion_window="24h")
    uploaded = client.files.create(file=("wave.jsonl", _requests(1)), purpose="batch")
    assert client.files.retrieve(uploaded.id).bytes == len(_requests(1))
    assert fake.batches.uploads == [uploaded.id]
