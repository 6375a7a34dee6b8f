"""Feedback while a run goes and before it starts, through the real CLI and the fake server.

Progress lines on stderr without a terminal (every ``--log_every`` seconds), the bar's
numbers with ``--progress``, the line a resumed run starts with; Ctrl-C and SIGTERM as a
stop, not an error, with the requests on their way cancelled (the fake sees their
connections close before the run has ended); ``--max_time``; the dry run's estimates
(tokens of a known prompt, the requests for the target from a stated yield, the cost);
``--save_rejects``, whose lines add up to the funnel's drops.
"""
from __future__ import annotations

import importlib.util
import json
import math
import re
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from alpaca_gen.respond.estimate import approx_tokens

try:
    from tests.fakeserver import Raw, Reply, answer_responder
except ImportError:  # tests/ is not a package under some import modes
    from fakeserver import Raw, Reply, answer_responder

PROGRESS = re.compile(r"^alpaca-gen: (?P<done>[\d,]+)/(?P<total>[\d,]+) (?P<what>kept|answers written|items written), "
                      r"(?P<sent>[\d,]+) requests? sent, (?P<flight>[\d,]+) in flight, (?P<dropped>[\d,]+) "
                      r"(?:dropped|failed)(?:, \$(?P<cost>\d+\.\d\d))?, (?P<elapsed>\d+) s elapsed, "
                      r"(?:about (?:\d+ min \d\d s|\d+(?:\.\d)? (?:s|min|h)) left(?: \(--max_\w+\))?"
                      r"|time left not known yet|done)$")
STOPPED = "rerun the same command to resume"


def gen(fake, out, *more):
    return ("generate", "--output_dir", out, "--base_url", fake.base_url, "--backoff_base", 0.01, "--seed", 1, *more)


def progress_lines(stderr: str) -> list[re.Match]:
    return [m for m in map(PROGRESS.match, stderr.splitlines()) if m]


def watch_stderr(proc, seconds_after_first: float) -> list[tuple[float, str]]:
    """(arrival time, line) of each progress line the running CLI writes, until it ends or
    ``seconds_after_first`` after the first line."""
    seen: list[tuple[float, str]] = []
    deadline = None
    count = 0
    while proc.poll() is None and (deadline is None or time.monotonic() < deadline):
        lines = [line for line in proc.result().stderr.splitlines() if PROGRESS.match(line)]
        for line in lines[count:]:
            seen.append((time.monotonic(), line))
            deadline = deadline or time.monotonic() + seconds_after_first
        count = len(lines)
        time.sleep(0.02)
    return seen


# -- progress while it runs ------------------------------------------------------------------------------


def test_generate_prints_a_progress_line_every_log_every_seconds_without_a_terminal(make_fake, start_cli, tmp_path,
                                                                                     util):
    fake = make_fake(latency=0.2)
    out = tmp_path / "out"
    proc = start_cli(*gen(fake, out, "--api", "chat", "--request_batch_size", 1, "--concurrency", 2,
                          "--num_instructions_to_generate", 5000, "--log_every", 0.5, "--max_time", 6,
                          "--price_in", 1.0, "--price_out", 2.0))
    seen = watch_stderr(proc, seconds_after_first=3.0)
    result = proc.wait(timeout=60)
    assert result.returncode == 0, result.stderr
    assert len(seen) >= 5, result.stderr
    gaps = [b - a for (a, _), (b, _) in zip(seen, seen[1:])]
    assert max(gaps) < 0.5 + 0.6, gaps  # one line every --log_every seconds (0.5), give or take a poll
    matches = progress_lines(result.stderr)
    last = matches[-1]
    assert last["total"] == "5,000" and last["what"] == "kept" and last["cost"] is not None
    done = [int(m["done"].replace(",", "")) for m in matches]
    assert done == sorted(done) and done[-1] > 0  # the count goes up with the commits
    assert all(int(m["flight"]) <= 2 for m in matches)  # --concurrency 2
    assert int(last["sent"]) >= done[-1] // 16  # a chat request yields at most 16 tasks
    assert "about" in result.stderr and "left" in result.stderr  # the time left, once something is kept
    # --max_time stops the run as a budget does: exit 0, the summary, resumable.
    summary = util.load_summary(out)
    assert summary["stopped_because"] == "--max_time 6 reached"
    assert result.stdout.startswith("alpaca-gen: --max_time 6 reached; ")
    assert 6 <= summary["this_run"]["elapsed_seconds"] < 9
    assert summary["records_in_file"] == len(util.load_regen(out)) > 0


def test_log_every_0_prints_no_progress_lines_and_progress_shows_the_numbers_on_the_bar(fake, run_cli_many, tmp_path):
    quiet, bar = run_cli_many([
        gen(fake, tmp_path / "quiet", "--num_instructions_to_generate", 20, "--log_every", 0),
        gen(fake, tmp_path / "bar", "--num_instructions_to_generate", 20, "--progress", "--price_in", 1.0),
    ])
    assert quiet.returncode == 0 and bar.returncode == 0, (quiet.stderr, bar.stderr)
    assert quiet.stderr == "", quiet.stderr
    # --progress draws the bar on a file too: the requests, in flight, drops and cost in its postfix.
    assert re.search(r"kept: 100%\|.*\| 20/20 instr \[\d\d:\d\d, \d+ requests? sent, \d+ in flight, \d+ dropped, "
                     r"\$\d+\.\d\d, done\]", bar.stderr), bar.stderr
    assert not progress_lines(bar.stderr)


def test_a_resumed_run_says_so_first(fake, run_cli, tmp_path, util):
    out = tmp_path / "out"
    first = run_cli(*gen(fake, out, "--num_instructions_to_generate", 10))
    assert first.returncode == 0, first.stderr
    state = json.loads((out / ".alpaca-gen" / "state.json").read_text())
    again = run_cli(*gen(fake, out, "--num_instructions_to_generate", 30))
    assert again.returncode == 0, again.stderr
    assert again.stderr.splitlines()[0] == (f"alpaca-gen: resuming {out / 'regen.json'}: 10 of 30 records there, "
                                            f"next request {state['next_request']}, seed 1")
    assert "resuming" not in first.stderr


def test_a_changed_seed_on_resume_says_which_seed_the_next_rounds_use(fake, run_cli, tmp_path):
    out = tmp_path / "out"
    assert run_cli(*gen(fake, out, "--num_instructions_to_generate", 5)).returncode == 0
    state = json.loads((out / ".alpaca-gen" / "state.json").read_text())
    dry = run_cli(*gen(fake, out, "--num_instructions_to_generate", 10, "--seed", 8, "--dry_run"))
    assert "seed 8 (not the seed 1 this output was started with; a real run warns)" in dry.stdout
    again = run_cli(*gen(fake, out, "--num_instructions_to_generate", 10, "--seed", 8))
    assert again.returncode == 0, again.stderr
    assert (f"--seed 8 differs from the seed 1 this output was started with: the rounds from request "
            f"{state['next_request']} on use 8, so no single seed reproduces the file; drop --seed to go on with 1"
            in again.stderr)


def test_a_finished_run_run_again_does_nothing_and_says_so(fake, run_cli, tmp_path):
    out = tmp_path / "out"
    assert run_cli(*gen(fake, out, "--num_instructions_to_generate", 5)).returncode == 0
    asked = len(fake.requests)
    same, smaller = (run_cli(*gen(fake, out, "--num_instructions_to_generate", n)) for n in (5, 3))
    assert same.returncode == smaller.returncode == 0
    assert "resuming" not in same.stderr + smaller.stderr and len(fake.requests) == asked
    assert same.stdout.startswith("alpaca-gen: regen.json already has the 5 records of the target; nothing to do; "
                                  "5/5 records in ")
    assert smaller.stdout.startswith("alpaca-gen: regen.json already has 5 records, more than the target 3; nothing "
                                     "to do; 5 records in ")
    assert "this run:" not in same.stdout and "requests/s" not in same.stdout  # no line of zeros
    if importlib.util.find_spec("llama_cpp") is not None:  # --local starts no model server for nothing
        local = run_cli("generate", "--output_dir", out, "--local", "--num_instructions_to_generate", 5)
        assert local.returncode == 0 and "--local:" not in local.stderr, local.stderr


@pytest.mark.parametrize("command", ["respond", "eval judge"])
def test_jobs_print_progress_lines_and_stop_at_max_time(make_fake, start_cli, tmp_path, command):
    fake = make_fake(latency=0.3, responder=answer_responder)
    if command == "respond":
        data = tmp_path / "data.jsonl"
        data.write_text("".join(json.dumps({"instruction": f"Write a one-line summary of report {i}.", "input": "",
                                            "output": "old"}) + "\n" for i in range(200)), encoding="utf-8")
        args = ("respond", data, "--output", tmp_path / "out.jsonl")
        what, state = "answers written", tmp_path / ".alpaca-gen" / "respond-out.jsonl"
    else:
        for name in ("a", "b"):
            (tmp_path / f"{name}.jsonl").write_text("".join(
                json.dumps({"id": f"q{i}", "lang": "en", "instruction": f"Name a colour, {i}.", "input": "",
                            "output": f"{name} says blue"}) + "\n" for i in range(100)), encoding="utf-8")
        args = ("eval", "judge", tmp_path / "a.jsonl", tmp_path / "b.jsonl", "--judge_model", "judge-x",
                "--output", tmp_path / "judged.jsonl", "--unparsed_retries", 0)
        what, state = "items written", tmp_path / ".alpaca-gen" / "eval-judge-judged.jsonl"
    proc = start_cli(*args, "--base_url", fake.base_url, "--concurrency", 2, "--log_every", 0.5, "--max_time", 4)
    result = proc.wait(timeout=60)
    assert result.returncode == 0, result.stderr
    matches = progress_lines(result.stderr)
    assert len(matches) >= 3, result.stderr
    assert {m["what"] for m in matches} == {what}
    assert "failed" in matches[-1].group(0)
    summary = json.loads((state / "summary.json").read_text())
    assert summary["stopped_because"] == "--max_time 4 reached"
    again = start_cli(*args, "--base_url", fake.base_url, "--concurrency", 2, "--max_time", 1).wait(timeout=60)
    assert again.returncode == 0 and again.stderr.startswith("alpaca-gen: resuming "), again.stderr


# -- stopping is not an error ---------------------------------------------------------------------------------


def _stop_while_held(make_fake, start_cli, tmp_path, util, args, signum):
    """Run ``args`` against a fake that holds every request, signal it once two are held:
    (result, the fake, when the signal went)."""
    fake = make_fake(latency=30, responder=answer_responder)
    proc = start_cli(*args(fake))
    util.wait_for(lambda: len(util.generation_requests(fake)) >= 2 or proc.poll() is not None, timeout=30,
                  what="two requests on their way")
    assert proc.poll() is None, proc.result().stderr
    time.sleep(0.2)
    sent = time.time()
    proc.send_signal(signum)
    result = proc.wait(timeout=30)
    return result, fake, sent


@pytest.mark.parametrize("signum, words", [(signal.SIGINT, "Ctrl-C"), (signal.SIGTERM, "SIGTERM")],
                         ids=["SIGINT", "SIGTERM"])
def test_ctrl_c_stops_generate_without_an_error_and_closes_the_connections(make_fake, start_cli, tmp_path, util,
                                                                          signum, words):
    out = tmp_path / "out"
    result, fake, sent = _stop_while_held(make_fake, start_cli, tmp_path, util, lambda fake: gen(
        fake, out, "--api", "chat", "--request_batch_size", 2, "--concurrency", 2), signum)
    assert result.returncode == 128 + signum, result.stderr
    assert result.stderr.strip().splitlines()[-1] == f"alpaca-gen: stopped by {words}; {STOPPED}"
    assert "error" not in result.stderr and "Traceback" not in result.stderr
    assert "2 requests were still on their way and were cancelled" in result.stdout
    assert "not committed" not in result.stdout and "answered round" not in result.stdout  # only what happened
    # The two requests were cancelled: the fake saw both connections close right after the
    # signal, before the run had written its summary (not only when the process exited).
    closed = [e["time"] for e in fake.closed_early]
    assert len(closed) == 2, fake.closed_early
    summary_written = (out / "summary.json").stat().st_mtime
    assert all(sent <= t <= summary_written + 0.005 and t - sent < 3 for t in closed), (sent, closed, summary_written)
    assert util.load_summary(out)["this_run"]["abandoned_calls"] == 2


def test_ctrl_c_stops_respond_without_an_error_and_closes_the_connections(make_fake, start_cli, tmp_path, util):
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps({"instruction": f"Summarize report {i}.", "input": "", "output": "old"}) + "\n"
                            for i in range(5)), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result, fake, sent = _stop_while_held(make_fake, start_cli, tmp_path, util, lambda fake: (
        "respond", data, "--output", out, "--base_url", fake.base_url, "--concurrency", 2), signal.SIGINT)
    assert result.returncode == 130, result.stderr
    assert result.stderr.strip().splitlines()[-1] == f"alpaca-gen: stopped by Ctrl-C; {STOPPED}"
    assert "error" not in result.stderr
    assert "2 requests were still on their way and were cancelled; their records are asked again" in result.stdout
    assert len(fake.closed_early) == 2 and all(e["time"] - sent < 3 for e in fake.closed_early), fake.closed_early


# -- estimates before a run ------------------------------------------------------------------------------------


def _seed_file(path: Path) -> Path:
    tasks = [{"id": f"seed_{i}", "lang": "en", "instruction": f"Describe the colour number {i} to a child.",
              "instances": [{"input": "", "output": f"Colour {i} is like the sky."}], "is_classification": False}
             for i in range(3)]
    path.write_text("".join(json.dumps(t) + "\n" for t in tasks), encoding="utf-8")
    return path


def _dry(tmp_path, *more):
    header = tmp_path / "header.txt"
    header.write_text("Come up with 20 short tasks, one a line, each with an input and an output.\n\n"
                      "List of 20 tasks:\n", encoding="utf-8")
    return ("generate", "--dry_run", "--output_dir", tmp_path / "out", "--seed_tasks_path", _seed_file(tmp_path / "s.jsonl"),
            "--prompt_path", header, "--api", "chat", "--request_batch_size", 1, "--num_instructions_to_generate", 100,
            "--max_tokens", 1000, "--price_in", 1.0, "--price_out", 2.0, *more)


def _printed_prompt(stdout: str) -> str:
    body = stdout.split(" =====\n", 1)[1]
    return body.split("\n\n# prompt tokens", 1)[0]


def test_dry_run_counts_the_prompt_tokens_and_estimates_requests_and_cost(run_cli_many, tmp_path, cli_env):
    stub = tmp_path / "stub"
    stub.mkdir()
    # tiktoken, when installed: a stand-in that knows one model and counts words.
    (stub / "tiktoken.py").write_text(
        "class _Enc:\n    name = 'stub_base'\n"
        "    def encode(self, text, disallowed_special=()):\n        return text.split()\n"
        "def encoding_for_model(model):\n"
        "    if model != 'gpt-4o-mini':\n        raise KeyError(model)\n    return _Enc()\n", encoding="utf-8")
    env = cli_env(PYTHONPATH=f"{stub}:{cli_env()['PYTHONPATH']}")
    plain, known, unknown = run_cli_many([_dry(tmp_path), _dry(tmp_path, "--model_name", "gpt-4o-mini"),
                                          _dry(tmp_path, "--model_name", "my-llama")], env=None)
    assert plain.returncode == 0, plain.stderr
    with_stub = run_cli_many([_dry(tmp_path, "--model_name", "gpt-4o-mini"), _dry(tmp_path, "--model_name", "my-llama")],
                             env=env)
    prompt = _printed_prompt(plain.stdout)
    assert prompt.startswith("Come up with 20 short tasks") and "Describe the colour number" in prompt
    tokens = approx_tokens(prompt)
    lines = [line for line in plain.stdout.splitlines() if line.startswith("# ")]
    assert any(f"# prompt tokens ≈ {tokens:,} a request, one prompt each" in line
               and "approximated as about 4 characters a token and a Hangul syllable about one" in line
               for line in lines), lines
    # No earlier run: the stated default of 5 kept per prompt, so 100 records take 20 requests.
    assert any("# 0 of 100 records there: about 20 requests (20 prompts, 20 rounds) for the 100 to go, at 5 kept per "
               "prompt (assumed, no earlier run in this folder" in line for line in lines), lines
    low, high = 20 * (tokens * 1.0 + 500 * 2.0) / 1e6, 20 * (tokens * 1.0 + 1000 * 2.0) / 1e6
    assert f"# cost ${low:.4f} to at most ${high:.4f} (20 prompts × {tokens:,} prompt tokens, and 500 to 1,000 " \
           "completion tokens each)" in plain.stdout
    assert not (tmp_path / "out").exists()  # a dry run writes nothing
    stub_known, stub_unknown = with_stub
    assert f"# prompt tokens ≈ {len(prompt.split()):,} a request" in stub_known.stdout
    assert "counted with tiktoken's stub_base for gpt-4o-mini" in stub_known.stdout
    assert "tiktoken does not know the model my-llama" in stub_unknown.stdout
    assert f"# prompt tokens ≈ {tokens:,} a request" in stub_unknown.stdout
    for result in (known, unknown):
        assert result.returncode == 0, result.stderr
        if importlib.util.find_spec("tiktoken") is None:  # the approximation, whatever the model
            assert f"# prompt tokens ≈ {tokens:,} a request" in result.stdout
            assert "tiktoken is not installed" in result.stdout


def test_dry_run_takes_the_yield_of_the_earlier_runs(fake, run_cli, tmp_path, util):
    out = tmp_path / "out"
    first = run_cli(*gen(fake, out, "--num_instructions_to_generate", 12))
    assert first.returncode == 0, first.stderr
    run = util.load_summary(out)["this_run"]
    prompts, kept = run["funnel"][0]["in"], run["kept"]
    dry = run_cli("generate", "--dry_run", "--output_dir", out, "--num_instructions_to_generate", 112)
    assert dry.returncode == 0, dry.stderr
    rounds = math.ceil(math.ceil(100 / (kept / prompts)) / 5)  # completions: a round of 5 prompts is one request
    assert (f"# 12 of 112 records there: about {rounds:,} requests ({rounds * 5:,} prompts, {rounds:,} rounds) for the "
            f"100 to go, at {kept / prompts:.2g} kept per prompt (the yield of the 1 earlier run in runs.jsonl, "
            f"{kept} kept from {prompts} prompts") in dry.stdout, dry.stdout[-1500:]
    assert "a run would send nothing" in run_cli("generate", "--dry_run", "--output_dir", out,
                                                 "--num_instructions_to_generate", 12).stdout


def test_an_openai_chat_model_on_the_completions_api_is_refused_up_front(run_cli_many, tmp_path):
    dry = ("generate", "--dry_run", "--output_dir", tmp_path / "o")
    refused, chat, instruct, own_server = run_cli_many([
        (*dry, "--model_name", "gpt-4o-mini"),
        (*dry, "--model_name", "gpt-4o-mini", "--api", "chat"),
        (*dry, "--model_name", "gpt-3.5-turbo-instruct"),
        (*dry, "--model_name", "gpt-4o-mini", "--base_url", "http://127.0.0.1:9/v1"),  # a server may serve it so
    ])
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.strip() == ("alpaca-gen: error: --model_name gpt-4o-mini is a chat model: OpenAI serves it "
                                      "on the chat API only (not /v1/completions); pass --api chat")
    assert chat.returncode == instruct.returncode == own_server.returncode == 0, (chat.stderr, instruct.stderr)


@pytest.mark.parametrize("flag, value, ok", [
    ("--max_time", "90m", True), ("--max_time", "1h30m", True), ("--max_time", "45", True), ("--max_time", "48h", True),
    ("--max_time", "2 hours", False), ("--max_time", "0", False),
    ("--log_every", "5s", True), ("--log_every", "0.5", True), ("--log_every", "2m", True), ("--log_every", "0", True),
    ("--log_every", "soon", False), ("--log_every", "2d", False), ("--log_every", "nan", False),
    ("--log_every", "-5", False),
])
def test_duration_flags_take_seconds_or_a_duration(run_cli, tmp_path, flag, value, ok):
    """--max_time has no upper bound and no 0; --log_every takes 0 (no lines) and at most a day."""
    result = run_cli("generate", "--dry_run", "--output_dir", tmp_path / "o", flag, value)
    error = {"--max_time": "--max_time must be seconds or a duration such as 90m",
             "--log_every": "--log_every must be seconds"}[flag]
    if ok:
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode == 2 and result.stderr.startswith(f"alpaca-gen: error: {error}"), result.stderr


def test_a_terminal_without_a_width_gets_progress_lines(make_fake, tmp_path, cli_env):
    # ``script -qc CMD /dev/null`` from a shell with no terminal gives a pty of 0 columns, where
    # tqdm draws nothing: the run must fall back to the lines instead of going silent.
    import os
    import pty
    import subprocess
    import sys

    fake = make_fake(latency=0.2)
    leader, follower = pty.openpty()  # a new pty has 0 rows and 0 columns
    args = [sys.executable, "-m", "alpaca_gen", *map(str, gen(fake, tmp_path / "out", "--api", "chat",
            "--request_batch_size", 1, "--concurrency", 1, "--num_instructions_to_generate", 5000,
            "--log_every", 0.5, "--max_time", 3))]
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=follower,
                            env=cli_env(), cwd=tmp_path)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the CLI closed its side
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert proc.wait(timeout=60) == 0
    text = seen.decode("utf-8", "replace").replace("\r\n", "\n")
    assert len(progress_lines(text)) >= 3, text


def test_progress_words_and_the_time_a_limit_leaves():
    import io

    from alpaca_gen.ordered import Deadline
    from alpaca_gen.progress import Progress, duration_text

    assert [duration_text(s) for s in (0, 52.4, 89, 95, 185, 599, 600, 2700, 9000)] == [
        "0 s", "52 s", "89 s", "1 min 35 s", "3 min 05 s", "9 min 59 s", "10 min", "45 min", "2.5 h"]
    start = 1000.0

    def at(**limits) -> Progress:
        p = Progress(total=100, initial=0, unit="instr", desc="kept", what="kept", dropped_as="dropped",
                     show_bar=False, log_every=0, err=io.StringIO(), started=start, **limits)
        p.done, p.sent = 10, 1  # 10 kept and 1 request in the first 60 s: 9 min to the target
        return p

    assert at().time_left(start + 60) == "about 9 min 00 s left"
    assert at(deadline=Deadline(start + 120, "--max_time 3m reached")).time_left(start + 60) == "about 60 s left (--max_time)"
    assert at(max_requests=3).time_left(start + 60) == "about 2 min 00 s left (--max_requests)"
    assert at(max_requests=1).time_left(start + 60) == "the last requests are on their way (--max_requests)"
    assert at(deadline=Deadline(start + 3600, "--max_time 1h reached")).time_left(start + 60) == "about 9 min 00 s left"  # the target comes first
    assert "1 request sent" in at().line(start + 60) and "requests sent" not in at().line(start + 60)


# -- --save_rejects --------------------------------------------------------------------------------------------

TRUNCATED = ("4. Instruction: Name three rivers of Europe and one fact about each.\n4. Input: <noinput>\n4. Output: "
             "The Danube flows through ten countries; the Rhine")
REJECTS_SCRIPT = [
    Raw(b"this is not json"),  # garbled
    Reply(""),  # empty_completion
    Reply("I would rather not write any tasks today."),  # no_tasks_in_completion
    Reply("4. Instruction: Translate the sentence into French.\nThe cat sleeps.\n\n"  # malformed: no labels
          "5. Instruction: Do it.\n5. Input: <noinput>\n5. Output: Done.\n\n"  # fields: too_short
          "6. Instruction: Tell me the weather in Paris right now.\n6. Input: <noinput>\n"
          "6. Output: As an AI language model, I cannot browse the internet.\n\n"  # quality: refusal
          "7. Instruction:\n7. Input: <noinput>\n7. Output: Nothing asked.\n\n" + TRUNCATED, finish_reason="length"),
]


def test_save_rejects_lines_add_up_to_the_funnels_drops(make_fake, run_cli, tmp_path, util):
    fake = make_fake()
    fake.enqueue(*REJECTS_SCRIPT)
    out, rejects = tmp_path / "out", tmp_path / "rejects" / "rejects.jsonl"
    args = gen(fake, out, "--api", "chat", "--request_batch_size", 1, "--concurrency", 1, "--save_rejects", rejects)
    first = run_cli(*args, "--num_instructions_to_generate", 30, "--max_requests", 6)
    assert first.returncode == 0, first.stderr
    second = run_cli(*args, "--num_instructions_to_generate", 60)
    assert second.returncode == 0, second.stderr
    lines = [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]
    history = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]
    assert len(history) == 2
    for run in history:  # per run: the lines of its run_id are its funnel's drops, stage by stage
        mine = Counter((r["stage"], r["reason"]) for r in lines if r["run_id"] == run["run_id"])
        funnel = Counter({(s["stage"], reason): n for s in run["stats"]["funnel"] for reason, n in s["dropped"].items()})
        assert mine == funnel, (mine, funnel)
    assert len({r["run_id"] for r in lines}) == 2
    summary = util.load_summary(out)
    assert summary["run_id"] == history[-1]["run_id"]
    by_reason = {}
    for r in lines:
        by_reason.setdefault(r["reason"], r)
    assert {"garbled", "empty_completion", "no_tasks_in_completion", "malformed", "too_short", "refusal",
            "empty_instruction", "truncated", "near_duplicate"} <= set(by_reason), sorted(by_reason)
    assert by_reason["garbled"]["text"] is None and by_reason["garbled"]["request"] == 0
    assert by_reason["empty_completion"]["request"] == 1
    assert by_reason["no_tasks_in_completion"]["text"] == "I would rather not write any tasks today."
    assert by_reason["malformed"]["text"].startswith("4. Instruction: Translate the sentence into French.")
    assert by_reason["truncated"]["text"] == TRUNCATED and by_reason["truncated"]["finish_reason"] == "length"
    assert by_reason["too_short"]["task"] == {"instruction": "Do it.", "input": "", "output": "Done."}
    assert by_reason["refusal"]["stage"] == "quality" and by_reason["refusal"]["field"] == "output"
    assert {r["request"] for r in lines if r["reason"] in ("malformed", "too_short", "refusal", "truncated")} == {3}
    near = by_reason["near_duplicate"]
    assert near["stage"] == "similarity" and near["rouge_l_f1"] > 0.7 and near["similar_to"]
    assert near["task"]["instruction"] and near["prompt"] == 0
    requests = [r["request"] for r in lines]
    assert requests == sorted(requests)  # in round order, as committed
    util.assert_no_secret(second, out, rejects.parent)


def test_save_rejects_must_not_be_the_data_file(fake, run_cli, tmp_path):
    out = tmp_path / "out"
    result = run_cli(*gen(fake, out, "--num_instructions_to_generate", 5, "--save_rejects", out / "regen.json"))
    assert result.returncode == 2 and "--save_rejects" in result.stderr, result.stderr
