"""``generate --batch`` end to end against the fake Batch API, with the real openai client.

The same seed writes the same regen.json as live mode; expired and failed lines are
resubmitted; a failed batch stops the run with one line and keeps the data; a run
killed with SIGKILL at each step (during the upload, during the create, while
polling) and started again never creates a wave twice and loses nothing.
"""
from __future__ import annotations

import json
import time

import pytest


def _args(fake, out, *more, target=60, api="completions"):
    return ("generate", "--output_dir", out, "--base_url", fake.base_url, "--api", api, "--num_instructions_to_generate",
            target, "--request_batch_size", 4, "--seed", 11, "--backoff_base", 0.01, *more)


def _batch(fake, out, *more, **kw):
    return _args(fake, out, "--batch", "--batch_poll_interval", 0.01, *more, **kw)


def _assert_no_request_twice(fake) -> None:
    """No input file became two batches, and no request was in two batches (all lines answered here)."""
    inputs = [c["input_file_id"] for c in fake.batches.created]
    assert len(inputs) == len(set(inputs)), "an input file became two batches"
    ids = []
    for file_id in inputs:
        ids += [json.loads(line)["custom_id"] for line in fake.batches.files[file_id]["data"].decode().splitlines()]
    assert ids and len(ids) == len(set(ids)), "a request was in two batches"


@pytest.mark.parametrize("api", ["completions", "chat"])
def test_batch_writes_what_live_mode_writes(make_fake, run_cli, tmp_path, api):
    live, batch = make_fake(), make_fake()
    reference = run_cli(*_args(live, tmp_path / "live", api=api))
    assert reference.returncode == 0, reference.stderr
    result = run_cli(*_batch(batch, tmp_path / "batch", "--price_in", 1.0, "--price_out", 2.0, api=api))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "batch" / "regen.json").read_bytes() == (tmp_path / "live" / "regen.json").read_bytes()
    assert [r["path"] for r in batch.requests if r["path"].endswith("completions")] == []  # nothing sent live
    created = batch.batches.created
    per_round = 1 if api == "completions" else 4
    assert created[0]["requests"] == 200 // per_round * per_round  # the first wave: 200 requests at most
    assert len(created) >= 1 and all(c["endpoint"] == f"/v1/{'completions' if api == 'completions' else 'chat/completions'}"
                                     for c in created)
    summary = json.loads((tmp_path / "batch" / "summary.json").read_text(encoding="utf-8"))
    b = summary["batch"]
    assert b["batches_created"] == len(created) and b["requests_submitted"] == sum(c["requests"] for c in created)
    assert b["cost_at_list_price_usd"] == pytest.approx(2 * b["cost_usd"], rel=1e-3)
    assert "batches created" in result.stdout


def test_expired_and_failed_lines_are_resubmitted(make_fake, run_cli, tmp_path):
    """The first wave expires after 6 of its lines and fails every 3rd: rounds 2 and 5 (errors) and 6 on
    (expired) are needed for the target, so they go into the next wave, which completes."""
    live = make_fake()
    assert run_cli(*_args(live, tmp_path / "live", "--similarity_threshold", 1.0, target=400)).returncode == 0
    fake = make_fake()
    mode = fake.batches.mode
    mode.outcome, mode.expire_after, mode.error_every, mode.first_only = "expired", 6, 3, True
    result = run_cli(*_batch(fake, tmp_path / "batch", "--similarity_threshold", 1.0, target=400))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "batch" / "regen.json").read_bytes() == (tmp_path / "live" / "regen.json").read_bytes()
    summary = json.loads((tmp_path / "batch" / "summary.json").read_text(encoding="utf-8"))
    assert summary["batch"]["expired_lines"] > 0 and summary["batch"]["error_lines"] > 0
    assert len(fake.batches.created) >= 2


def test_a_failed_batch_stops_with_one_line_and_keeps_the_data(make_fake, run_cli, tmp_path):
    fake = make_fake()
    out = tmp_path / "batch"
    assert run_cli(*_batch(fake, out, target=20)).returncode == 0
    before = (out / "regen.json").read_bytes()
    fake.batches.mode.outcome = "failed"
    result = run_cli(*_batch(fake, out, target=80))
    assert result.returncode == 77, result.stderr
    assert result.stderr.count("alpaca-gen: error:") == 1 and "failed" in result.stderr
    assert "Traceback" not in result.stderr
    assert (out / "regen.json").read_bytes() == before


@pytest.mark.parametrize("step", ["upload", "create", "poll"])
def test_killed_at_a_step_and_resumed_never_creates_a_wave_twice(make_fake, start_cli, run_cli, tmp_path, util, step):
    live = make_fake()
    assert run_cli(*_args(live, tmp_path / "live")).returncode == 0
    fake = make_fake()
    mode = fake.batches.mode
    if step == "upload":
        mode.upload_delay = 30
    elif step == "create":
        mode.create_delay = 30
    else:
        mode.polls_per_status = 10_000
    out = tmp_path / "batch"
    proc = start_cli(*_batch(fake, out))
    if step == "upload":
        util.wait_for(lambda: fake.batches.uploads, what="the upload")
    elif step == "create":
        util.wait_for(lambda: fake.batches.created, what="the batch")
    else:
        util.wait_for(lambda: any(b.polls >= 3 for b in fake.batches.batches.values()), what="polls")
    time.sleep(0.2)
    proc.kill()
    mode.upload_delay = mode.create_delay = 0
    mode.polls_per_status = 1
    result = run_cli(*_batch(fake, out))
    assert result.returncode == 0, result.stderr
    assert (out / "regen.json").read_bytes() == (tmp_path / "live" / "regen.json").read_bytes()
    _assert_no_request_twice(fake)


def test_ctrl_c_while_polling_leaves_the_batch_running_and_says_how_to_resume(make_fake, start_cli, run_cli, tmp_path,
                                                                             util):
    import signal

    fake = make_fake()
    fake.batches.mode.polls_per_status = 10_000
    out = tmp_path / "batch"
    proc = start_cli(*_batch(fake, out))
    util.wait_for(lambda: any(b.polls >= 2 for b in fake.batches.batches.values()), what="polls")
    proc.send_signal(signal.SIGINT)
    result = proc.wait(timeout=30)
    assert result.returncode == 130, result.stderr
    assert "run the same command again" in result.stderr and "Traceback" not in result.stderr
    [batch] = fake.batches.batches.values()
    assert batch.obj["status"] != "cancelled"
    fake.batches.mode.polls_per_status = 1
    again = run_cli(*_batch(fake, out))
    assert again.returncode == 0, again.stderr
    assert fake.batches.created[0]["id"] == batch.obj["id"]
    _assert_no_request_twice(fake)


def test_batch_flags_that_do_not_go_together(run_cli, tmp_path):
    for extra, words in ((("--local",), "--batch needs a server"), (("--max_requests", 3), "--max_requests counts")):
        result = run_cli("generate", "--output_dir", tmp_path, "--batch", *extra)
        assert result.returncode == 2 and words in result.stderr, result.stderr


def test_batch_cancel_cancels_the_running_batch_on_ctrl_c(make_fake, start_cli, tmp_path, util):
    import signal

    fake = make_fake()
    fake.batches.mode.polls_per_status = 10_000
    proc = start_cli(*_batch(fake, tmp_path / "batch", "--batch_cancel"))
    util.wait_for(lambda: any(b.polls >= 2 for b in fake.batches.batches.values()), what="polls")
    proc.send_signal(signal.SIGINT)
    result = proc.wait(timeout=30)
    assert result.returncode == 130 and "cancelled batch" in result.stderr, result.stderr
    [batch] = fake.batches.batches.values()
    assert batch.cancel_requested


def test_max_cost_counts_the_whole_wave_before_it_is_submitted(make_fake, run_cli, tmp_path):
    fake = make_fake()
    result = run_cli(*_batch(fake, tmp_path / "batch", "--price_in", 10.0, "--price_out", 10.0, "--max_cost", 0.5,
                             "--max_tokens", 200, target=500))
    assert result.returncode == 0, result.stderr
    assert "--max_cost" in result.stdout + result.stderr
    summary = json.loads((tmp_path / "batch" / "summary.json").read_text(encoding="utf-8"))
    assert summary["this_run"]["cost_usd"] <= 0.5
    assert fake.batches.created and fake.batches.created[0]["requests"] < 200  # the wave was cut to the budget


def test_killed_while_taking_in_the_output_and_resumed(make_fake, start_cli, run_cli, tmp_path, util):
    """SIGKILL right after the output file was downloaded, while its rounds are committed."""
    live = make_fake()
    assert run_cli(*_args(live, tmp_path / "live", "--similarity_threshold", 1.0, target=3000)).returncode == 0
    fake = make_fake()
    out = tmp_path / "batch"
    proc = start_cli(*_batch(fake, out, "--similarity_threshold", 1.0, target=3000))
    util.wait_for(lambda: any(r["path"].endswith("/content") for r in list(fake.requests)), what="the download")
    proc.kill()
    result = run_cli(*_batch(fake, out, "--similarity_threshold", 1.0, target=3000))
    assert result.returncode == 0, result.stderr
    assert (out / "regen.json").read_bytes() == (tmp_path / "live" / "regen.json").read_bytes()
    _assert_no_request_twice(fake)
