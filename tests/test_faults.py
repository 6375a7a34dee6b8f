"""Server faults, scripted on the fake before the CLI starts: what the run does and
its exit code. Retries are made fast with --backoff_base 0.01."""
from __future__ import annotations

import json
import re
import signal
import time

import pytest

try:
    from tests.fakeserver import Drop, Error, Hang, Raw, Reply, default_responder
except ImportError:  # tests/ not importable as a package
    from fakeserver import Drop, Error, Hang, Raw, Reply, default_responder

from alpaca_gen.errors import ApiRefusedError, ServerUnavailableError

EX_UNAVAILABLE, EX_NOPERM = ServerUnavailableError.exit_code, ApiRefusedError.exit_code  # 69, 77
TARGET = 20


def gen(fake, out, *more, target=TARGET):
    return ("generate", "--output_dir", out, "--base_url", fake.base_url, "--backoff_base", 0.01,
            "--concurrency", 1, "--request_batch_size", 2, "--num_instructions_to_generate", target, "--seed", 1, *more)


def assert_ok(result, out, util, target=TARGET) -> dict:
    """Exit 0, no traceback, the target reached, no key anywhere; returns summary.json."""
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    records = util.load_regen(out)
    assert len(records) == target
    util.assert_no_secret(result, out)
    summary = util.load_summary(out)
    assert summary["records_in_file"] == target
    return summary


def same_request(a: dict, b: dict) -> bool:
    """The same logical request: same endpoint and prompt (max_tokens may differ)."""
    keys = ("prompt", "messages", "model")
    return a["path"] == b["path"] and all(a["body"].get(k) == b["body"].get(k) for k in keys)


# -- retried, then success -----------------------------------------------------------------------


@pytest.mark.parametrize("limit", [Error.rate_limit(retry_after=0.2), Error.rate_limit(reset_requests="50ms")],
                         ids=["retry-after", "x-ratelimit-reset"])
def test_429_rate_limit_is_retried(fake, run_cli, tmp_path, util, limit):
    fake.enqueue(limit)
    out = tmp_path / "out"
    result = run_cli(*gen(fake, out))
    summary = assert_ok(result, out, util)
    assert summary["this_run"]["retries"] >= 1
    requests = util.generation_requests(fake)
    assert len(requests) == summary["this_run"]["api_calls"] + 1
    assert same_request(requests[0], requests[1])
    assert "rate limited" in result.stderr


def test_5xx_then_success(fake, run_cli, tmp_path, util):
    statuses = (500, 502, 503)
    fake.enqueue(*[Error(s) for s in statuses])
    out = tmp_path / "out"
    result = run_cli(*gen(fake, out))
    summary = assert_ok(result, out, util)
    assert summary["this_run"]["retries"] == len(statuses)
    requests = util.generation_requests(fake)
    assert len(requests) == summary["this_run"]["api_calls"] + len(statuses)
    assert all(same_request(requests[0], r) for r in requests[: len(statuses) + 1])


def test_hang_past_request_timeout_then_success(fake, run_cli, tmp_path, util):
    fake.enqueue(Hang(3.0))
    out = tmp_path / "out"
    started = time.monotonic()
    result = run_cli(*gen(fake, out, "--request_timeout", 0.5))
    summary = assert_ok(result, out, util)
    assert summary["this_run"]["retries"] >= 1
    assert "no answer within 0.5s" in result.stderr
    assert time.monotonic() - started < 30


def test_dropped_connection_then_success(fake, run_cli, tmp_path, util):
    fake.enqueue(Drop())
    out = tmp_path / "out"
    result = run_cli(*gen(fake, out))
    summary = assert_ok(result, out, util)
    assert summary["this_run"]["retries"] >= 1
    assert len(util.generation_requests(fake)) == summary["this_run"]["api_calls"] + 1


def test_two_dropped_connections_are_retried(fake, run_cli, tmp_path, util):
    fake.enqueue(Drop(), Drop())
    out = tmp_path / "out"
    result = run_cli(*gen(fake, out, "--max_retries", 5))
    summary = assert_ok(result, out, util)
    assert summary["this_run"]["retries"] == 2


def test_context_length_is_retried_with_smaller_max_tokens(fake, run_cli, tmp_path, util):
    fake.enqueue(Error.context_length(max_context=4096))
    out = tmp_path / "out"
    result = run_cli(*gen(fake, out, "--max_tokens", 3072))
    summary = assert_ok(result, out, util)
    requests = util.generation_requests(fake)
    assert requests[0]["body"]["max_tokens"] == 3072
    assert same_request(requests[0], requests[1])
    smaller = requests[1]["body"]["max_tokens"]
    assert 16 <= smaller < 3072
    assert all(r["body"]["max_tokens"] == smaller for r in requests[1:])
    assert summary["this_run"]["retries"] >= 1
    assert "context length" in result.stderr

    # The smaller limit is remembered: a resumed run starts with it.
    fake.clear()
    more = run_cli(*gen(fake, out, "--max_tokens", 3072, target=TARGET + 15))
    assert_ok(more, out, util, target=TARGET + 15)
    assert util.generation_requests(fake)[0]["body"]["max_tokens"] == smaller


# llama-cpp-python's server asserts len(prompt) <= 1 and wraps the empty AssertionError
# message as {"error": {"message": "", "type": "internal_server_error", ...}} with HTTP 500.
LLAMA_CPP_LIST_ERROR = Error(500, body={"error": {"message": "", "type": "internal_server_error", "param": None,
                                                  "code": None}})
OLLAMA_LIST_ERROR = Error(400, body={"error": {"message": "json: cannot unmarshal array into Go struct field "
                                                         "CompletionRequest.prompt of type string",
                                              "type": "invalid_request_error", "param": None, "code": None}})


def refusing_list_prompts(refusal):
    """A responder for a server that cannot take a list of prompts (llama.cpp, Ollama)."""

    def responder(prompt_text, body):
        if isinstance(body.get("prompt"), list):
            return refusal
        return default_responder(prompt_text, body)

    return responder


@pytest.mark.parametrize("refusal", [
    pytest.param(LLAMA_CPP_LIST_ERROR, id="llama.cpp-500"),
    pytest.param(OLLAMA_LIST_ERROR, id="ollama-400"),
])
def test_server_without_list_prompts_falls_back_to_one_prompt_per_request(make_fake, run_cli, tmp_path, util,
                                                                           refusal):
    fake = make_fake(responder=refusing_list_prompts(refusal))
    out = tmp_path / "out"
    result = run_cli(*gen(fake, out, "--request_batch_size", 3))
    summary = assert_ok(result, out, util)
    requests = util.generation_requests(fake)
    assert isinstance(requests[0]["body"]["prompt"], list)
    assert all(isinstance(r["body"]["prompt"], str) for r in requests[1:])
    assert len(requests) == summary["this_run"]["api_calls"]
    assert "one prompt per request" in result.stderr


# -- unusable answers: counted, never a traceback -------------------------------------------------------


@pytest.mark.parametrize(
    "api,action",
    [("completions", Raw(b"not json")), ("completions", Reply("")), ("chat", Reply(""))],
    ids=["completions-raw", "completions-empty", "chat-empty"],
)
def test_garbled_or_empty_completion_is_counted(fake, run_cli, tmp_path, util, api, action):
    fake.enqueue(action)
    out = tmp_path / "out"
    result = run_cli(*gen(fake, out, "--api", api))
    summary = assert_ok(result, out, util)
    completions = summary["this_run"]["funnel"][0]
    reason = "garbled" if isinstance(action, Raw) else "empty_completion"
    assert completions["stage"] == "completions" and completions["dropped"].get(reason, 0) >= 1, completions
    assert re.search(rf"completions \d+ → with tasks \d+; dropped \d+ \(.*{reason} \d+", result.stdout), result.stdout


def test_garbled_usage_field_does_not_crash(fake, run_cli, tmp_path, util):
    body = {"id": "cmpl-x", "object": "text_completion", "created": 0, "model": "m",
            "choices": [{"text": " Name three colors.\n4. Input:\n<noinput>\n4. Output:\nRed, blue, green.",
                         "index": 0, "finish_reason": "stop", "logprobs": None}],
            "usage": {"prompt_tokens": "n/a", "completion_tokens": "n/a", "total_tokens": "n/a"}}
    fake.enqueue(Raw(json.dumps(body).encode()))
    out = tmp_path / "out"
    result = run_cli(*gen(fake, out))
    assert "internal error" not in result.stderr, result.stderr
    assert_ok(result, out, util)


# -- refused: stop at once, keep what was committed -------------------------------------------------


def prepopulate(fake, run_cli, out, util) -> bytes:
    first = run_cli(*gen(fake, out, target=10))
    assert first.returncode == 0, first.stderr
    assert len(util.load_regen(out)) == 10
    fake.clear()
    return (out / "regen.json").read_bytes()


def test_insufficient_quota_stops_at_once_and_keeps_data(fake, run_cli, tmp_path, util):
    out = tmp_path / "out"
    before = prepopulate(fake, run_cli, out, util)
    fake.enqueue(*[Error.quota() for _ in range(10)])
    result = run_cli(*gen(fake, out, target=40))
    line = util.assert_clean_error(result, EX_NOPERM)
    assert "quota" in line
    assert len(util.generation_requests(fake)) == 1, "retried a request the quota refused"
    assert (out / "regen.json").read_bytes() == before
    util.assert_no_secret(result, out)


@pytest.mark.parametrize("status,expect", [(403, r"403"), (404, r"'no-such-model-x'.*404")], ids=["403", "404"])
def test_refusals_stop_at_once(fake, run_cli, tmp_path, util, status, expect):
    out = tmp_path / "out"
    before = util.write_valid_regen(out, 3)
    fake.enqueue(*[Error(status) for _ in range(10)])
    result = run_cli(*gen(fake, out, "--model_name", "no-such-model-x", target=40))
    line = util.assert_clean_error(result, EX_NOPERM)
    assert re.search(expect, line), line
    assert len(util.generation_requests(fake)) == 1
    assert util.generation_requests(fake)[0]["body"]["model"] == "no-such-model-x"
    assert (out / "regen.json").read_bytes() == before
    util.assert_no_secret(result, out)


def test_500_forever_gives_up(fake, run_cli, tmp_path, util):
    max_retries = 2
    fake.enqueue(*[Error(500) for _ in range(max_retries + 6)])
    out = tmp_path / "out"
    result = run_cli(*gen(fake, out, "--max_retries", max_retries))
    line = util.assert_clean_error(result, EX_UNAVAILABLE)
    assert "giving up" in line and "500" in line, line
    assert len(util.generation_requests(fake)) == max_retries + 1
    assert util.load_regen(out) is None
    util.assert_no_secret(result, out)


def test_429_forever_gives_up(fake, run_cli, tmp_path, util):
    # Rate limits get their own, larger budget: max_retries * 2 + 4 waits.
    fake.enqueue(*[Error.rate_limit(retry_after=0) for _ in range(20)])
    out = tmp_path / "out"
    result = run_cli(*gen(fake, out, "--max_retries", 1))
    line = util.assert_clean_error(result, EX_UNAVAILABLE)
    assert "giving up" in line and "429" in line, line
    assert len(util.generation_requests(fake)) == 1 * 2 + 4 + 1
    util.assert_no_secret(result, out)


# -- signals ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_during_slow_run(make_fake, start_cli, tmp_path, util, signum):
    slow = make_fake(latency=1.0)
    out = tmp_path / "out"
    proc = start_cli("generate", "--output_dir", out, "--base_url", slow.base_url, "--num_instructions_to_generate",
                     1000, "--request_batch_size", 1, "--seed", 1, "--backoff_base", 0.01)
    # Wait for a first commit, so there is data to keep, with requests still in flight.
    util.wait_for(lambda: (out / "regen.json").exists() or proc.poll() is not None, timeout=30,
                  what="the first commit")
    assert proc.poll() is None, proc.result().stderr
    committed = util.load_regen(out)
    sent = time.monotonic()
    proc.send_signal(signum)
    result = proc.wait(timeout=30)
    elapsed = time.monotonic() - sent
    assert elapsed < 5, f"took {elapsed:.1f}s to stop after {signum.name}"
    assert result.returncode == 128 + signum, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    words = "Ctrl-C" if signum == signal.SIGINT else "SIGTERM"
    assert f"alpaca-gen: stopped by {words}; " in result.stdout  # the summary's first line: a stop, not an error
    assert result.stderr.strip().splitlines()[-1] == f"alpaca-gen: stopped by {words}; rerun the same command to resume"
    records = util.load_regen(out)
    assert records[: len(committed)] == committed
    summary = util.load_summary(out)
    assert summary["stopped_because"] == f"stopped by {words}"
    assert summary["records_in_file"] == len(records)
    util.assert_no_secret(result, out)


def test_sigint_during_startup_prints_no_traceback(fake, start_cli, tmp_path, util):
    # 0.25 s and 0.5 s after the start: past the interpreter's own start-up, inside
    # the imports (fire, openai) that take most of alpaca-gen's start-up time.
    procs = []
    for i, delay in enumerate((0.25, 0.5)):
        proc = start_cli("generate", "--output_dir", tmp_path / f"out{i}", "--base_url", fake.base_url,
                         "--num_instructions_to_generate", 10)
        procs.append((proc, delay))
    for proc, delay in procs:
        time.sleep(max(0.0, proc.started + delay - time.monotonic()))
        proc.send_signal(signal.SIGINT)
    for proc, _ in procs:
        result = proc.wait(timeout=30)
        assert result.returncode in (130, -signal.SIGINT), result.stderr
        assert "Traceback" not in result.stderr, result.stderr[-1500:]


# -- review fixes: each test fails on the code before the fix -------------------------------------------


def test_retries_before_a_garbled_answer_are_counted(fake, run_cli, tmp_path, util):
    """A 429 and then an undecodable body: one retry happened, and the summary says so
    (the garbled path used to report only the 5xx retries, dropping the rate-limit waits)."""
    fake.enqueue(Error.rate_limit(retry_after=0.05), Raw(b"not json at all"))
    out = tmp_path / "out"
    result = run_cli(*gen(fake, out, "--max_requests", 1, "--max_retries", 2), timeout=60)
    assert result.returncode == 0, result.stderr
    run = util.load_summary(out)["this_run"]
    assert run["api_calls"] == 1 and run["retries"] == 1, run
    assert run["funnel"][0]["dropped"] == {"garbled": 2}  # the list prompt's two answers


def test_requests_waiting_out_a_rate_limit_are_not_in_flight(make_fake, start_cli, tmp_path, util):
    """Stopped while every request sleeps out a 429: none is on the wire, so none was
    abandoned (the waits used to hold their in-flight slot)."""
    fake = make_fake()
    fake.enqueue(*[Error.rate_limit(retry_after=30) for _ in range(4)])
    out = tmp_path / "out"
    proc = start_cli("generate", "--output_dir", out, "--base_url", fake.base_url, "--api", "chat",
                     "--request_batch_size", 4, "--concurrency", 4, "--num_instructions_to_generate", 10, "--seed", 2)
    util.wait_for(lambda: len(util.generation_requests(fake)) >= 4, timeout=30, what="four rate-limited requests")
    time.sleep(0.5)  # all four are now waiting out the 30 s pause
    proc.send_signal(signal.SIGINT)
    done = proc.wait(timeout=30)
    assert done.returncode == 130, done.stderr
    run = util.load_summary(out)["this_run"]
    assert run["abandoned_calls"] == 0, run
    assert len(util.generation_requests(fake)) == 4


def test_generate_with_a_config_applies_the_flags_given_with_it(fake, tmp_path, capsys):
    """``generate(config, **flags)`` used to ignore ``flags`` silently."""
    from alpaca_gen.errors import UsageError
    from alpaca_gen.pipeline import GenerateConfig, generate

    config = GenerateConfig(output_dir=str(tmp_path / "out"), base_url=fake.base_url, api_key="sk-test-x",
                            num_instructions_to_generate=3, seed=1, progress=False)
    summary = generate(config, num_instructions_to_generate=7)
    assert summary["records_in_file"] == 7
    with pytest.raises(UsageError, match="unknown option"):
        generate(config, num_instructions=9)
    capsys.readouterr()


def test_a_refused_run_still_gets_its_runs_jsonl_line(fake, run_cli, tmp_path, util):
    """A quota stop after some rounds: the numbers so far go into the totals and runs.jsonl,
    named after the error, not left for the next run to call a crash."""
    out = tmp_path / "out"
    first = run_cli(*gen(fake, out, "--max_requests", 1, target=TARGET * 10))
    assert first.returncode == 0, first.stderr
    fake.enqueue(Reply(" Name a color.\n4. Input:\n<noinput>\n4. Output:\nBlue."), Error.quota())
    second = run_cli(*gen(fake, out, "--concurrency", 1, target=TARGET * 10))
    util.assert_clean_error(second, ApiRefusedError.exit_code)
    runs = [json.loads(line) for line in (out / "runs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["stopped_because"].split(":")[0] for r in runs] == ["--max_requests 1 reached", "stopped by an error"]
    assert "quota" in runs[1]["stopped_because"] and util.SECRET not in runs[1]["stopped_because"]
    state = json.loads((out / ".alpaca-gen" / "state.json").read_text(encoding="utf-8"))
    assert state["totals"]["api_calls"] == sum(r["stats"]["api_calls"] for r in runs)
    util.assert_no_secret(second, out)
