"""``batch prepare`` / ``batch ingest``: batch files for an engine without a Batch API.

The "engine" here answers each prepared line with the fake server's own
generation logic and writes the OpenAI batch output format in input order, as
``vllm run-batch -o`` does (one file, errors inline). Prepared and ingested in
pieces, the data equals a live run's with the same seed.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest


def _live(fake, out, run_cli, api):
    result = run_cli("generate", "--output_dir", out, "--base_url", fake.base_url, "--api", api, "--seed", 5,
                     "--request_batch_size", 3, "--num_instructions_to_generate", 80)
    assert result.returncode == 0, result.stderr
    return (Path(out) / "regen.json").read_bytes()


def _prepare(run_cli, out, api, requests, *more, target=80):
    result = run_cli("batch", "prepare", out, "--api", api, "--seed", 5, "--request_batch_size", 3,
                     "--num_instructions_to_generate", target, "--requests", requests, *more)
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.split(":", 2)[1].strip())


def _engine(fake, batch_file: Path, results: Path, *, drop=(), fail=()) -> None:
    """Answer every line like vllm run-batch: same order, errors inline."""
    rows = []
    for text in batch_file.read_text(encoding="utf-8").splitlines():
        line = json.loads(text)
        if line["custom_id"] in drop:
            continue
        if line["custom_id"] in fail:
            rows.append({"id": "x", "custom_id": line["custom_id"], "response": {"status_code": 400, "body": {
                "error": {"message": "bad"}}}, "error": None})
            continue
        status, body = fake.answer_batch_line(line["url"], line["body"])
        rows.append({"id": "x", "custom_id": line["custom_id"], "response": {"status_code": status, "body": body},
                     "error": None})
    results.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


@pytest.mark.parametrize("api", ["completions", "chat"])
def test_prepared_and_ingested_in_pieces_equals_live(make_fake, run_cli, tmp_path, api):
    expected = _live(make_fake(), tmp_path / "live", run_cli, api)
    fake, out = make_fake(), tmp_path / "engine"
    per_round = 1 if api == "completions" else 3
    first = _prepare(run_cli, out, api, 2 * per_round)
    second = _prepare(run_cli, out, api, 40 * per_round)
    assert first != second and len(first.read_text().splitlines()) == 2 * per_round
    ids = [json.loads(line)["custom_id"] for line in second.read_text().splitlines()]
    assert ids[0].startswith("r000002")  # after the rounds already prepared
    _engine(fake, first, tmp_path / "r1.jsonl")
    _engine(fake, second, tmp_path / "r2.jsonl")
    for results in ("r1.jsonl", "r2.jsonl"):
        ingested = run_cli("batch", "ingest", out, tmp_path / results)
        assert ingested.returncode == 0, ingested.stderr
    assert (out / "regen.json").read_bytes() == expected
    again = run_cli("batch", "ingest", out, tmp_path / "r1.jsonl")
    assert again.returncode == 65 and "already ingested" in again.stderr


def test_ingest_commits_up_to_the_first_round_it_lacks(make_fake, run_cli, tmp_path):
    fake, out = make_fake(), tmp_path / "engine"
    batch_file = _prepare(run_cli, out, "completions", 6, target=5000)
    _engine(fake, batch_file, tmp_path / "r.jsonl", fail={"r000003"})
    result = run_cli("batch", "ingest", out, tmp_path / "r.jsonl")
    assert result.returncode == 0, result.stderr
    state = json.loads((out / ".alpaca-gen" / "state.json").read_text())
    assert state["next_request"] == 3  # rounds 0-2 committed; 3 errored, so 4-5 wait
    redo = _prepare(run_cli, out, "completions", 3, "--again", target=5000)
    assert [json.loads(line)["custom_id"] for line in redo.read_text().splitlines()] == ["r000003", "r000004", "r000005"]
    _engine(fake, redo, tmp_path / "redo.jsonl")
    result = run_cli("batch", "ingest", out, tmp_path / "redo.jsonl")
    assert result.returncode == 0, result.stderr
    assert json.loads((out / ".alpaca-gen" / "state.json").read_text())["next_request"] == 6


def test_ingest_refuses_what_it_cannot_trust(make_fake, run_cli, tmp_path):
    fake, out = make_fake(), tmp_path / "engine"
    batch_file = _prepare(run_cli, out, "completions", 2)
    _engine(fake, batch_file, tmp_path / "r.jsonl")
    foreign = tmp_path / "foreign.jsonl"
    foreign.write_text(json.dumps({"custom_id": "r000099", "response": {"status_code": 200, "body": {}}}) + "\n")
    result = run_cli("batch", "ingest", out, foreign)
    assert result.returncode == 65 and "never prepared" in result.stderr
    garbled = tmp_path / "garbled.jsonl"
    garbled.write_text("{oops\n")
    assert run_cli("batch", "ingest", out, garbled).returncode == 65
    batch_file.write_text(batch_file.read_text().replace("Instruction", "Instrucción"))
    result = run_cli("batch", "ingest", out, tmp_path / "r.jsonl")
    assert result.returncode == 65 and "changed" in result.stderr
    assert not (out / "regen.json").exists() or json.loads((out / "regen.json").read_text()) == []
    for result in (run_cli("batch", "ingest", out), run_cli("batch", "prepare", out, "--batch")):
        assert result.returncode == 2 and result.stderr.count("\n") == 1
