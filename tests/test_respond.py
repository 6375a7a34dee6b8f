"""``alpaca-gen respond`` through the real CLI, against the fake server with the real openai client.

English and Korean records get answers in their language; OUT keeps INPUT's order and
format; the request layer's faults are survived; a run killed with SIGKILL at random
moments and resumed writes what an uninterrupted run writes and never asks again for a
record already written; --only_flagged and --where choose what is answered; --batch
answers through the Batch API; a changed input or recipe is refused in one line.
"""
from __future__ import annotations

import json
import random
import signal
import time
from pathlib import Path

import pytest

try:
    from tests.fakeserver import Drop, Error, Hang, Reply, answer_responder, task_of
except ImportError:
    from fakeserver import Drop, Error, Hang, Reply, answer_responder, task_of

RECORDS = [
    {"instruction": "Give three tips for staying focused while studying.", "input": "", "output": "Study."},
    {"instruction": "다음 문장의 맞춤법을 고쳐 주세요.", "input": "어제 친구랑 같이 밥을 먹엇는데 너무 맛있엇다.", "output": ""},
    {"instruction": "Convert the temperature to Fahrenheit.", "input": "25 degrees Celsius", "output": "77"},
    {"instruction": "회의에 늦는다고 팀장님께 보낼 짧은 메시지를 써 주세요.", "input": "", "output": "늦어요"},
    {"instruction": "Name the capital of Australia.", "input": "", "output": "As an AI language model, I cannot."},
    {"instruction": "아래 일정을 날짜순으로 정리해 주세요.", "input": "3월 5일 치과\n3월 2일 은행\n3월 9일 부모님 생신", "output": ""},
]


def _write(path: Path, records, fmt="json") -> Path:
    if fmt == "json":
        path.write_text(json.dumps(records, ensure_ascii=False, indent=2), encoding="utf-8")
    else:
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def _read(path: Path):
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if text.lstrip().startswith("[") else [json.loads(line) for line in text.splitlines()]


def _args(fake, data, out, *more):
    return ("respond", data, "--output", out, "--base_url", fake.base_url, "--backoff_base", 0.01, *more)


def _asked(fake) -> list[str]:
    """The task text of every generation request the fake received, in order."""
    return [task_of(r["body"]) for r in fake.requests if r["path"].endswith("completions")]


@pytest.fixture
def answering(make_fake):
    def make(**kw):
        return make_fake(responder=answer_responder, **kw)
    return make


@pytest.mark.parametrize("api", ["chat", "completions"])
def test_english_and_korean_records_get_answers_in_their_language(answering, run_cli, tmp_path, api):
    fake = answering()
    data = _write(tmp_path / "data.json", RECORDS)
    result = run_cli(*_args(fake, data, tmp_path / "out.json", "--api", api, "--concurrency", 3))
    assert result.returncode == 0, result.stderr
    out = _read(tmp_path / "out.json")
    assert [r["instruction"] for r in out] == [r["instruction"] for r in RECORDS]  # input order
    for before, after in zip(RECORDS, out):
        korean = any("\uac00" <= ch <= "\ud7a3" for ch in before["instruction"])
        assert after["output"].startswith("요청하신 과제" if korean else "Here is the answer"), after
        assert after["provenance"]["previous_output"] == before["output"]
        assert after["provenance"]["respond"]["model"] == "gpt-4o-mini" if api == "chat" else True
        assert "failed" not in after["provenance"]["respond"]
    bodies = [r["body"] for r in fake.requests if r["path"].endswith("completions")]
    assert len(bodies) == len(RECORDS)  # each record asked once
    if api == "chat":
        systems = {b["messages"][1]["content"]: b["messages"][0]["content"] for b in bodies}
        ko_system = systems[RECORDS[1]["instruction"] + "\n\n" + RECORDS[1]["input"]]
        en_system = systems[RECORDS[0]["instruction"]]
        assert "한국어" in ko_system and "존댓말" in ko_system
        assert "Answer in the language of the task" in en_system
    else:
        prompts = {task_of(b): b["prompt"] for b in bodies}
        assert prompts[RECORDS[1]["instruction"]].rstrip().endswith("### 응답:")
        assert prompts[RECORDS[0]["instruction"]].rstrip().endswith("### Response:")
        assert all("\n### Instruction:" in b["stop"] for b in bodies)
    assert "answers 6 → with text 6" in result.stdout and "quality 6 → passed 6" in result.stdout


def test_jsonl_stays_jsonl_and_unselected_lines_pass_unchanged(answering, run_cli, tmp_path):
    fake = answering()
    records = [dict(r, id=f"x{i}", extra={"keep": [i, "가"]}) for i, r in enumerate(RECORDS)]
    data = _write(tmp_path / "data.jsonl", records, "jsonl")
    result = run_cli(*_args(fake, data, tmp_path / "out.jsonl", "--where", "lang=ko"))
    assert result.returncode == 0, result.stderr
    lines = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(records)
    source_lines = data.read_text(encoding="utf-8").splitlines()
    for i, (line, record) in enumerate(zip(lines, records)):
        obj = json.loads(line)
        assert obj["id"] == record["id"] and obj["extra"] == record["extra"]  # other fields kept
        if i % 2 == 0:  # the English ones were not selected: written as they were
            assert line == source_lines[i]
        else:
            assert obj["output"].startswith("요청하신 과제")
    assert sorted(_asked(fake)) == sorted(r["instruction"] + (f"\n\n{r['input']}" if r["input"] else "")
                                          for r in RECORDS[1::2])
    assert "3 passed on unchanged" in result.stdout


def test_only_flagged_repairs_just_the_flagged_outputs(answering, run_cli, tmp_path):
    fake = answering()
    data = _write(tmp_path / "data.json", RECORDS)
    result = run_cli(*_args(fake, data, tmp_path / "out.json", "--only_flagged"))
    assert result.returncode == 0, result.stderr
    out = _read(tmp_path / "out.json")
    # Empty outputs (1, 5) and the refusal (4) are flagged; "Study.", "77" and "늦어요" pass the rules.
    answered = [i for i, r in enumerate(out) if "respond" in (r.get("provenance") or {})]
    assert answered == [1, 4, 5]
    assert [out[i] for i in (0, 2, 3)] == [RECORDS[i] for i in (0, 2, 3)]
    assert len(_asked(fake)) == 3


def test_failed_answers_keep_their_reason_or_are_dropped(answering, run_cli, tmp_path):
    data = _write(tmp_path / "data.json", RECORDS[:3])
    for drop in (False, True):
        fake = answering()
        # In order of the requests (--concurrency 1): a refusal, a cut answer, a good one.
        fake.enqueue(Reply("As an AI language model, I cannot help with that."),
                     Reply("어제 친구랑 같이 밥을", finish_reason="length"))
        out = tmp_path / f"out-{drop}.json"
        result = run_cli(*_args(fake, data, out, "--concurrency", 1, *(["--drop_failed"] if drop else [])))
        assert result.returncode == 0, result.stderr
        records = _read(out)
        if drop:
            assert [r["instruction"] for r in records] == [RECORDS[2]["instruction"]]
            assert "left out (--drop_failed)" in result.stdout
        else:
            assert [r["provenance"]["respond"].get("failed") for r in records] == ["refusal", "truncated", None]
            assert records[1]["output"] == "어제 친구랑 같이 밥을"
            assert "answers 3 → with text 2; failed 1 (truncated 1)" in result.stdout
            assert "quality 2 → passed 1; failed 1 (refusal 1)" in result.stdout


def test_faults_are_survived_and_each_record_is_written_once(answering, run_cli, tmp_path):
    fake = answering()
    fake.enqueue(Error(500), Drop(), Error.rate_limit(retry_after=0.05), Hang(0.2), Error(503))
    data = _write(tmp_path / "data.json", RECORDS)
    result = run_cli(*_args(fake, data, tmp_path / "out.json", "--concurrency", 4))
    assert result.returncode == 0, result.stderr
    out = _read(tmp_path / "out.json")
    assert [r["instruction"] for r in out] == [r["instruction"] for r in RECORDS]
    assert all(r["output"].startswith(("Here is", "요청하신")) for r in out)
    summary = json.loads((tmp_path / ".alpaca-gen" / "respond-out.json" / "summary.json").read_text(encoding="utf-8"))
    assert summary["this_run"]["retries"] >= 4 and summary["this_run"]["api_calls"] == len(RECORDS)


def _many(n: int) -> list[dict]:
    out = []
    for i in range(n):
        if i % 3 == 0:
            out.append({"instruction": f"{i}번 상품의 배송 예정일을 고객에게 안내하는 문자를 써 주세요.", "input": "", "output": ""})
        else:
            out.append({"instruction": f"Write a one-line summary of report number {i}.", "input": f"Report {i}: sales rose.",
                        "output": "old"})
    return out


def _task(record: dict) -> str:
    return record["instruction"] + (f"\n\n{record['input']}" if record["input"] else "")


def test_sigkill_at_random_moments_then_resume_writes_the_uninterrupted_output(answering, start_cli, run_cli, tmp_path):
    records = _many(60)
    data = _write(tmp_path / "data.json", records)
    reference = answering()
    assert run_cli(*_args(reference, data, tmp_path / "ref.json", "--concurrency", 4)).returncode == 0
    fake = answering(latency=0.02)
    out = tmp_path / "out.json"
    rng = random.Random(7)
    kills, mark, written_tasks = 0, 0, set()
    for attempt in range(20):
        proc = start_cli(*_args(fake, data, out, "--concurrency", 4, "--progress", "false"))
        time.sleep(rng.uniform(0.2, 1.4))  # start-up takes about 0.5 s: some kills land before anything is sent
        finished = proc.poll() is not None
        if not finished:
            proc.kill()
            kills += 1
        asked = _asked(fake)[mark:]
        mark += len(asked)
        assert not set(asked) & written_tasks, "a record already written was asked again"
        if out.exists():
            written = _read(out)  # complete and readable at every instant
            assert [r["instruction"] for r in written] == [r["instruction"] for r in records[:len(written)]]
            written_tasks = {_task(r) for r in records[:len(written)]}
        if finished:
            assert proc.wait().returncode == 0
            break
    else:
        final = run_cli(*_args(fake, data, out, "--concurrency", 4))
        assert final.returncode == 0, final.stderr
    assert kills >= 2
    assert out.read_bytes() == (tmp_path / "ref.json").read_bytes()
    asked = _asked(fake)
    assert set(asked) == set(_asked(reference))
    # Only requests in flight at a kill can be asked twice: at most --concurrency per kill.
    assert len(asked) - len(set(asked)) <= 4 * kills


def test_changed_input_or_recipe_is_refused(answering, run_cli, tmp_path):
    fake = answering()
    data = _write(tmp_path / "data.json", RECORDS)
    out = tmp_path / "out.json"
    first = run_cli(*_args(fake, data, out, "--max_requests", 2, "--concurrency", 1))
    assert first.returncode == 0, first.stderr
    assert len(_read(out)) == 2
    before = out.read_bytes()
    changed = [dict(r) for r in RECORDS]
    changed[4]["instruction"] = "Name the capital of Canada."
    _write(data, changed)
    result = run_cli(*_args(fake, data, out))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "element 4 is not the record it was" in result.stderr
    _write(data, RECORDS)
    result = run_cli(*_args(fake, data, out, "--model_name", "another-model"))
    assert result.returncode == 2 and "--model_name" in result.stderr and "another-model" in result.stderr
    warmer = run_cli(*_args(fake, data, out, "--temperature", 1.2))
    assert warmer.returncode == 2 and "started with --temperature 0.7, this run has --temperature 1.2" in warmer.stderr
    flagged = run_cli(*_args(fake, data, out, "--only_flagged"))
    assert flagged.returncode == 2 and "started with --noonly_flagged, this run has --only_flagged" in flagged.stderr
    assert out.read_bytes() == before  # nothing written by a refused run
    resumed = run_cli(*_args(fake, data, out))
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming" in resumed.stderr and len(_read(out)) == len(RECORDS)
    assert len(_asked(fake)) == len(RECORDS)  # the two answered first were not asked again


def test_batch_answers_what_live_mode_answers(answering, run_cli, tmp_path):
    live, batch = answering(), answering()
    data = _write(tmp_path / "data.json", _many(30))
    assert run_cli(*_args(live, data, tmp_path / "live.json")).returncode == 0
    result = run_cli(*_args(batch, data, tmp_path / "batch.json", "--batch", "--batch_poll_interval", 0.01,
                            "--price_in", 1.0, "--price_out", 2.0))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "batch.json").read_bytes() == (tmp_path / "live.json").read_bytes()
    assert not [r for r in batch.requests if r["path"].endswith("completions")]  # nothing live
    created = batch.batches.created
    assert len(created) == 1 and created[0]["requests"] == 30  # the count is known: one wave
    summary = json.loads((tmp_path / ".alpaca-gen" / "respond-batch.json" / "summary.json").read_text(encoding="utf-8"))
    assert summary["this_run"]["cost_usd"] > 0


def test_dry_run_estimates_and_sends_nothing(answering, run_cli, cli_env, tmp_path):
    fake = answering()
    data = _write(tmp_path / "data.json", RECORDS)
    result = run_cli(*_args(fake, data, tmp_path / "out.json", "--dry_run", "--price_in", 2.0, "--price_out", 8.0,
                            "--max_tokens", 100), env=cli_env(api_key=None))
    assert result.returncode == 0, result.stderr
    assert not fake.requests and not (tmp_path / "out.json").exists()
    assert "[system]" in result.stdout and RECORDS[0]["instruction"] in result.stdout
    assert "6 records, 6 to answer" in result.stdout
    assert "completion tokens at most 600 (6 × --max_tokens 100)" in result.stdout
    # prompt tokens: 4 characters a token, a Hangul syllable one, for each system message and task
    from alpaca_gen.respond.estimate import approx_tokens
    from alpaca_gen.respond.prompts import shipped_system

    expected = 0
    for r in RECORDS:
        korean = any("\uac00" <= ch <= "\ud7a3" for ch in r["instruction"])
        task = r["instruction"] + (f"\n\n{r['input']}" if r["input"] else "")
        expected += approx_tokens(task) + approx_tokens(shipped_system("ko" if korean else "en"))
    assert f"prompt tokens ≈ {expected:,}" in result.stdout
    low, high = (expected * 2 + 300 * 8) / 1e6, (expected * 2 + 600 * 8) / 1e6
    assert f"cost ${low:.4f} to at most ${high:.4f}" in result.stdout


def test_sigint_stops_cleanly_and_resumes(answering, start_cli, run_cli, tmp_path):
    fake = answering(latency=0.1)
    data = _write(tmp_path / "data.json", _many(40))
    out = tmp_path / "out.json"
    proc = start_cli(*_args(fake, data, out, "--concurrency", 2, "--progress", "false"))
    deadline = time.monotonic() + 20
    while not out.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    result = proc.wait()
    assert result.returncode == 130, result.stderr
    assert "Traceback" not in result.stderr
    partial = _read(out)
    assert 0 < len(partial) < 40
    resumed = run_cli(*_args(fake, data, out, "--concurrency", 4))
    assert resumed.returncode == 0, resumed.stderr
    assert len(_read(out)) == 40 and _read(out)[:len(partial)] == partial


@pytest.mark.parametrize("args, message", [
    (("--output", "{data}"), "must differ from the input file"),
    (("--output", "{tmp}/out.jsonl"), "name it out.json"),
    (("--output", "{tmp}/o.json", "--where", "colour=red"), "unknown field 'colour'"),
    (("--output", "{tmp}/o.json", "--where", "lang=fr"), "lang is en, ko or other"),
    ((), "respond needs --output"),
])
def test_bad_flags_get_one_line(run_cli, tmp_path, args, message):
    data = _write(tmp_path / "data.json", RECORDS)
    args = [str(a).format(data=data, tmp=tmp_path) for a in args]
    result = run_cli("respond", data, *args, "--base_url", "http://127.0.0.1:9/v1")
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("alpaca-gen: error:") == 1 and message in result.stderr, result.stderr
