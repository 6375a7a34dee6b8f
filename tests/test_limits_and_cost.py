"""--rpm/--tpm pacing, adaptive concurrency, cost accounting and --max_cost budgets."""
from __future__ import annotations

import asyncio
import json

import pytest

from alpaca_gen.client import Endpoint, RateLimiter, RequestClient, parse_duration, retry_after, smaller_max_tokens
from alpaca_gen.config import RequestOptions


class VirtualTime:
    """A clock that only moves when the limiter sleeps, so pacing is checked exactly."""

    def __init__(self):
        self.now = 0.0
        self.starts: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def run_reservations(limiter: RateLimiter, vt: VirtualTime, tokens: list[int]) -> list[float]:
    async def go():
        for n in tokens:
            await limiter.reserve(n)
            vt.starts.append(vt.now)
    asyncio.run(go())
    return vt.starts


def test_rpm_spaces_requests_evenly():
    vt = VirtualTime()
    starts = run_reservations(RateLimiter(rpm=120, tpm=None, clock=vt.clock, sleep=vt.sleep), vt, [1] * 5)
    assert starts == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0])


def test_tpm_waits_for_the_bucket_to_refill():
    vt = VirtualTime()
    limiter = RateLimiter(rpm=None, tpm=6000, clock=vt.clock, sleep=vt.sleep)  # 100 tokens per second
    starts = run_reservations(limiter, vt, [6000, 3000, 3000])
    # The bucket starts full; each 3000 then needs 30 s of refill.
    assert starts == pytest.approx([0.0, 30.0, 60.0])


def test_tpm_settles_with_real_usage():
    vt = VirtualTime()
    limiter = RateLimiter(rpm=None, tpm=6000, clock=vt.clock, sleep=vt.sleep)
    run_reservations(limiter, vt, [6000])
    limiter.settle(reserved=6000, used=1000)  # the request used far less than reserved
    starts = run_reservations(limiter, vt, [5000])
    assert starts[-1] == pytest.approx(0.0)


def test_request_larger_than_a_minute_of_tokens_still_goes_out():
    vt = VirtualTime()
    limiter = RateLimiter(rpm=None, tpm=1000, clock=vt.clock, sleep=vt.sleep)
    starts = run_reservations(limiter, vt, [5000, 5000])
    # The first goes at once (it waits only for a full bucket); it spent five minutes of
    # budget, so the second waits until the bucket is back to a full minute's worth.
    assert len(starts) == 2 and starts[0] == 0.0 and starts[1] == pytest.approx(300.0)


def test_no_limits_never_sleep():
    vt = VirtualTime()
    assert run_reservations(RateLimiter(None, None, clock=vt.clock, sleep=vt.sleep), vt, [10**9] * 3) == [0.0] * 3


def test_rate_limit_halves_concurrency_and_success_grows_it_back():
    async def go():
        client = RequestClient(Endpoint(model="m", base_url="http://127.0.0.1:9/v1"), RequestOptions(concurrency=16))
        await client._on_rate_limited(0.0)
        await client._on_rate_limited(0.0)
        assert client._allowed == 4
        for _ in range(3):
            await client._on_success()
        assert client._allowed == 7
        for _ in range(50):
            await client._on_success()
        assert client._allowed == 16
        await client.close()
    asyncio.run(go())


@pytest.mark.parametrize("value, seconds", [("1s", 1.0), ("6m0s", 360.0), ("20ms", 0.02), ("2", 2.0), ("0.5", 0.5), ("1m30s", 90.0)])
def test_parse_duration(value, seconds):
    assert parse_duration(value) == pytest.approx(seconds)


def test_retry_after_prefers_explicit_headers_then_longest_reset():
    assert retry_after({"retry-after-ms": "250", "retry-after": "9"}) == pytest.approx(0.25)
    assert retry_after({"retry-after": "3"}) == 3.0
    assert retry_after({"x-ratelimit-reset-requests": "1s", "x-ratelimit-reset-tokens": "6m0s"}) == 360.0
    assert retry_after({}) is None


def test_smaller_max_tokens_uses_the_numbers_in_the_error():
    openai_msg = ("This model's maximum context length is 4097 tokens, however you requested 4162 tokens "
                  "(1090 in your prompt; 3072 for the completion). Please reduce your prompt; or completion length.")
    assert smaller_max_tokens(openai_msg, 3072) == 4097 - 1090 - 16
    vllm_msg = ("This model's maximum context length is 2048 tokens. However, you requested 3100 tokens "
                "(28 in the messages, 3072 in the completion).")
    assert smaller_max_tokens(vllm_msg, 3072) == 2048 - 28 - 16
    assert smaller_max_tokens("prompt too long", 1000) == 800


# -- end to end: cost and budgets --------------------------------------------------------------

def gen(fake, out, *extra):
    return ("generate", "--output_dir", out, "--base_url", fake.base_url, "--model_name", "fake", "--seed", 3,
            "--request_batch_size", 2, *extra)


def test_cost_is_tokens_times_prices(fake, run_cli, tmp_path, util):
    out = tmp_path / "out"
    result = run_cli(*gen(fake, out, "--num_instructions_to_generate", 30, "--price_in", 1.5, "--price_out", 6))
    assert result.returncode == 0, result.stderr
    run = util.load_summary(out)["this_run"]
    expected = (run["prompt_tokens"] * 1.5 + run["completion_tokens"] * 6) / 1e6
    assert run["cost_usd"] == pytest.approx(expected, abs=1e-6)
    assert run["cost_per_kept_usd"] == pytest.approx(expected / run["kept"], abs=1e-6)
    assert "cost $" in result.stdout
    # Every call the server saw is accounted for: used, not needed after the target, or abandoned.
    util.assert_every_request_counted(run, fake)


def test_max_cost_stops_before_the_budget_and_resumes(fake, run_cli, tmp_path, util):
    out = tmp_path / "out"
    budget = 0.05
    args = gen(fake, out, "--num_instructions_to_generate", 500, "--price_in", 2, "--price_out", 8,
               "--max_cost", budget, "--max_tokens", 1024)
    first = run_cli(*args)
    assert first.returncode == 0, first.stderr
    summary = util.load_summary(out)
    assert "--max_cost" in summary["stopped_because"]
    assert summary["this_run"]["cost_usd"] <= budget
    kept = summary["records_in_file"]
    assert 0 < kept < 500
    again = run_cli(*args)  # a fresh budget for the next run; the file grows
    assert again.returncode == 0, again.stderr
    assert util.load_summary(out)["records_in_file"] > kept
    assert util.load_summary(out)["all_runs"]["cost_usd"] > summary["this_run"]["cost_usd"]


def test_max_cost_needs_prices(fake, run_cli, tmp_path, util):
    result = run_cli(*gen(fake, tmp_path / "out", "--max_cost", 1))
    util.assert_clean_error(result, 2)
    assert not util.generation_requests(fake)


def test_rpm_paces_requests_on_the_wire(fake, run_cli, tmp_path, util):
    out = tmp_path / "out"
    result = run_cli(*gen(fake, out, "--api", "chat", "--request_batch_size", 1, "--max_requests", 4,
                          "--num_instructions_to_generate", 1000, "--rpm", 600, "--concurrency", 4))
    assert result.returncode == 0, result.stderr
    assert len(util.generation_requests(fake)) == 4
    # The 4th call cannot start before 3 × 60/600 s: a lower bound the limiter guarantees.
    assert util.load_summary(out)["this_run"]["elapsed_seconds"] >= 0.3


def test_tpm_throttles_real_requests_by_their_real_usage(fake):
    """The request layer against the fake server, with the limiter on a virtual clock: a
    limit small enough to bind (the old test's 10,000,000 tokens/minute never did). The
    token bucket's promise, checked per request: what was used before a request started
    never exceeds one minute's budget plus the refill since the start."""
    tpm = 120.0  # 2 tokens a second; one chat request of the fake uses about 90
    vt = VirtualTime()
    client = RequestClient(Endpoint("m", fake.base_url, "sk-test", "chat"),
                           RequestOptions(concurrency=1, tpm=tpm, max_tokens=64),
                           limiter=RateLimiter(None, tpm, clock=vt.clock, sleep=vt.sleep))
    prompt = "###\n1. Instruction: Name a color.\n1. Input:\n<noinput>\n1. Output:\nBlue\n###\n\nContinue the list."

    async def go():
        used, trace = 0, []
        for _ in range(6):
            result = await client.answer([prompt])
            trace.append((vt.now, used))  # virtual time moves only in the limiter's waits: this is when it was sent
            used += result.prompt_tokens + result.completion_tokens
        await client.close()
        return used, trace

    used, trace = asyncio.run(go())
    assert used > 2 * tpm, "the requests must use more than two minutes of budget for the limit to bind"
    for started, used_before in trace:
        assert used_before <= tpm + started * tpm / 60 + 1e-6, (started, used_before)
    # Without the limiter no time would pass and the check above would fail once the
    # budget was used up; with it, the later requests waited.
    assert trace[-1][0] > 0


def test_tpm_run_completes_and_counts_tokens(fake, run_cli, tmp_path, util):
    out = tmp_path / "out"
    result = run_cli(*gen(fake, out, "--num_instructions_to_generate", 20, "--tpm", 10_000_000))
    assert result.returncode == 0, result.stderr
    run = util.load_summary(out)["this_run"]
    assert run["prompt_tokens"] > 0 and run["completion_tokens"] > 0
    assert len(json.loads((out / "regen.json").read_text())) == 20


def test_totals_across_runs_include_rounds_answered_after_the_target(fake, run_cli, tmp_path, util):
    """Rounds answered after the target were billed; the next run's all_runs must include them."""
    out = tmp_path / "out"
    first = run_cli(*gen(fake, out, "--num_instructions_to_generate", 30, "--concurrency", 4))
    assert first.returncode == 0, first.stderr
    run1 = util.load_summary(out)["this_run"]
    second = run_cli(*gen(fake, out, "--num_instructions_to_generate", 60, "--concurrency", 4))
    assert second.returncode == 0, second.stderr
    summary = util.load_summary(out)
    run2, total = summary["this_run"], summary["all_runs"]
    for key in ("api_calls", "prompt_tokens", "completion_tokens", "unused_rounds"):
        assert total[key] == run1[key] + run2[key], key
    util.assert_every_request_counted(total, fake)


def test_a_chat_round_cut_short_keeps_the_usage_of_its_answered_requests(fake):
    """A stop cancels a chat round whose prompts are partly answered: the answered requests were
    billed, so the client hands their usage over (once) instead of losing it with the round."""
    try:
        from tests.fakeserver import Hang
    except ImportError:  # tests/ on sys.path
        from fakeserver import Hang
    prompt = "###\n1. Instruction: Name a color.\n1. Input:\n<noinput>\n1. Output:\nBlue\n###\n\nContinue the list."
    fake.enqueue(Hang(60))  # one of the three requests hangs; the other two are answered at once
    client = RequestClient(Endpoint("m", fake.base_url, "sk-test", "chat"), RequestOptions(concurrency=3, max_tokens=64))

    async def go():
        asking = asyncio.ensure_future(client.answer([prompt + f" ({k})" for k in range(3)]))
        while client.succeeded < 2:
            await asyncio.sleep(0.01)
        in_flight = client.in_flight
        asking.cancel()
        await asyncio.gather(asking, return_exceptions=True)
        cut = client.take_cut_short()
        again = client.take_cut_short()
        await client.close()
        return in_flight, cut, again

    in_flight, cut, again = asyncio.run(go())
    assert in_flight == 1 and again == []
    [answered] = cut
    assert answered.api_calls == 2 and answered.prompt_tokens > 0 and answered.completion_tokens > 0
    assert sum(1 for c in answered.choices if getattr(c, "text", None)) == 2


def test_a_stopped_chat_run_counts_every_request_it_sent(make_fake, start_cli, tmp_path, util):
    """Requests answered at different speeds (0 to 0.3 s, by prompt), so a stop finds chat rounds
    half answered: every request on the wire is still in the summary, answered (api_calls,
    cut-short rounds included) or cancelled on its way (abandoned_calls)."""
    import hashlib
    import signal
    import time as clock
    try:
        from tests.fakeserver import default_responder
    except ImportError:
        from fakeserver import default_responder

    def uneven(prompt_text, body):
        clock.sleep(int(hashlib.sha256(prompt_text.encode()).hexdigest(), 16) % 4 * 0.1)
        return default_responder(prompt_text, body)

    fake = make_fake(responder=uneven)
    out = tmp_path / "o"
    proc = start_cli("generate", "--output_dir", out, "--base_url", fake.base_url, "--api", "chat",
                     "--num_instructions_to_generate", 100000, "--request_batch_size", 3, "--concurrency", 6)
    util.wait_for(lambda: len(util.generation_requests(fake)) >= 30, what="30 requests")
    proc.send_signal(signal.SIGINT)
    result = proc.wait(timeout=30)
    assert result.returncode == 130, result.stderr
    run = util.load_summary(out)["this_run"]
    util.assert_every_request_counted(run, fake)


def test_the_summary_says_why_cut_short_requests_were_not_used():
    from alpaca_gen.state import Usage
    from alpaca_gen.summary import stop_lines

    usage = Usage(api_calls=10, cut_short_calls=2)
    assert stop_lines(usage, target_reached=True) == [
        "  2 requests of rounds still under way at the target were answered but not needed (their tokens are counted)"]
    assert stop_lines(Usage(cut_short_calls=1), target_reached=False) == [
        "  1 request answered in rounds cut short by the stop was not used (their tokens are counted; the next run "
        "asks again)"]


def test_the_judge_hands_over_a_first_answer_whose_retry_a_stop_cancelled():
    """A verdict it cannot read is asked again; a stop during that retry must not lose the first,
    billed, answer."""
    from alpaca_gen.answers import Choice, RoundResult
    from alpaca_gen.eval.judge import UnparsedRetry

    class Inner:
        max_tokens, in_flight = 64, 0

        def __init__(self):
            self.calls = 0

        async def answer(self, prompts, round_number=None):
            self.calls += 1
            if self.calls > 1:
                await asyncio.sleep(60)  # the retry: the stop comes while it is on its way
            return RoundResult(choices=[Choice("no verdict here", "stop")] * len(prompts), api_calls=len(prompts),
                               prompt_tokens=100, completion_tokens=10)

        def take_cut_short(self):
            return []

    source = UnparsedRetry(Inner(), lambda round_number: " Answer A or B.", retries=2, read=lambda text: None)

    async def go():
        asking = asyncio.ensure_future(source.answer(["Which is better?", "Which is better? (swapped)"], 0))
        while source.inner.calls < 2:
            await asyncio.sleep(0.01)
        asking.cancel()
        await asyncio.gather(asking, return_exceptions=True)
        return source.take_cut_short(), source.take_cut_short()

    cut, again = asyncio.run(go())
    assert [(r.api_calls, r.prompt_tokens, r.completion_tokens) for r in cut] == [(2, 100, 10)] and again == []
