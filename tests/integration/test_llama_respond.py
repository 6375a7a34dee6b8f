"""``respond`` and ``eval`` on the bundled model for real: llama.cpp's server with SmolLM2-135M, no key.

A few English records are answered again through the chat API and the model's chat
template; then a three-item eval set is answered at two settings and the same model
judges them in both orders. The 135M model writes poor text and poor verdicts, so
what is checked is the plumbing: every record or item written once, in order, the
real server's usage counted, verdicts parsed or counted as unparsed, the server gone.
"""
from __future__ import annotations

import json

import pytest

from tests.integration.test_llama_local import READY, _needs_the_local_extra, no_key_env, pid_gone  # noqa: F401

pytestmark = pytest.mark.integration

RECORDS = [
    {"instruction": "Name three colours of the rainbow.", "input": "", "output": "old"},
    {"instruction": "Add the two numbers.", "input": "12 and 30", "output": ""},
    {"instruction": "Write a greeting for a birthday card.", "input": "", "output": "Hi"},
]


def test_respond_with_the_local_model(run_cli, tmp_path, util):
    data = tmp_path / "data.json"
    data.write_text(json.dumps(RECORDS), encoding="utf-8")
    result = run_cli("respond", data, "--output", tmp_path / "out.json", "--local", "--max_tokens", 48,
                     env=no_key_env(util), timeout=600)
    assert result.returncode == 0, result.stderr
    ready = READY.search(result.stderr)
    assert ready, result.stderr
    assert pid_gone(int(ready.group(2)))
    out = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert [r["instruction"] for r in out] == [r["instruction"] for r in RECORDS]
    for before, after in zip(RECORDS, out):
        assert after["provenance"]["respond"]["model"] == "SmolLM2-135M-Instruct"
        assert after["provenance"]["previous_output"] == before["output"]
        assert after["output"] != before["output"] or after["provenance"]["respond"].get("failed")
    summary = json.loads((tmp_path / ".alpaca-gen" / "respond-out.json" / "summary.json").read_text(encoding="utf-8"))
    run = summary["this_run"]
    assert run["api_calls"] == 3 and run["prompt_tokens"] > 0 and run["completion_tokens"] > 0


def test_eval_loop_with_the_local_model(run_cli, tmp_path, util):
    items = [{"id": f"t{k}", "lang": "en", "motivation_app": "Notes", "instruction": ins, "instances": [{"input": inp, "output": ""}]}
             for k, (ins, inp) in enumerate([("Give a title to this note.", "Buy milk and eggs."),
                                             ("Say hello to a new colleague.", ""),
                                             ("Is this sentence a question?", "Where is the station")])]
    eval_set = tmp_path / "set.jsonl"
    eval_set.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    env = no_key_env(util)
    for name, temperature in (("greedy", 0.0), ("warm", 1.0)):
        result = run_cli("eval", "answer", "--eval_set", eval_set, "--output", tmp_path / f"{name}.jsonl", "--local",
                         "--temperature", temperature, "--max_tokens", 32, env=env, timeout=600)
        assert result.returncode == 0, result.stderr
    # The 135M model writes no verdict after reasoning; asked for the mark alone it completes "[[".
    result = run_cli("eval", "judge", tmp_path / "greedy.jsonl", tmp_path / "warm.jsonl", "--local", "--api", "completions",
                     "--verdict_only", "--max_tokens", 4, "--unparsed_retries", 1, env=env, timeout=900)
    assert result.returncode == 0, result.stderr
    judgments = [json.loads(line) for line in (tmp_path / "judge-greedy-vs-warm.jsonl").read_text().splitlines()]
    assert [j["id"] for j in judgments] == ["t0", "t1", "t2"]
    assert all(j["winner"] in ("a", "b", "tie", "unparsed") and j["judge"] == "SmolLM2-135M-Instruct" for j in judgments)
    assert sum(j["verdict_ab"] is not None for j in judgments) >= 2  # the opened mark is completed, and read
    summary = run_cli("eval", "summary", tmp_path / "judge-greedy-vs-warm.jsonl")
    assert summary.returncode == 0 and "judge SmolLM2-135M-Instruct" in summary.stdout
