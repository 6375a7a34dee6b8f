"""Resume after SIGKILL: regen.json is always a valid list, committed records are
never lost or changed, and a seeded run resumed after kills ends exactly like one
that was never interrupted."""
from __future__ import annotations

import json
import os
import random
import time

import pytest

PARSE_REASONS = {"no_tasks_in_completion", "garbled", "empty_completion", "truncated", "malformed", "empty_instruction", "empty_output"}


def read_regen(out, util):
    """regen.json (None if absent), checked to be a complete list in Stanford's exact layout."""
    path = out / "regen.json"
    if not path.exists():
        return None
    raw = path.read_bytes()
    records = json.loads(raw.decode("utf-8"))  # raises if a kill left it half-written
    assert isinstance(records, list)
    assert raw == json.dumps(records, indent=4, ensure_ascii=False).encode("utf-8"), "regen.json bytes drifted"
    return records


def assert_extends(previous: list, current: list, target: int) -> None:
    assert current[: len(previous)] == previous, "records committed before the kill were lost or changed"
    instructions = [r["instruction"] for r in current]
    assert len(set(instructions)) == len(instructions), "duplicate instruction in regen.json"
    assert len(current) <= target


def kill_at_random_moment(proc, fake, util, rng: random.Random) -> bool:
    """SIGKILL ``proc`` at a random moment; False if it had already finished.

    Either a random time after start (often during start-up, before anything is
    sent or committed), or just after one to three more requests went out (mid
    request or mid commit). Either way at most a few rounds get done, so the run
    survives several kills before it can finish.
    """
    before = len(util.generation_requests(fake))
    if rng.random() < 0.3:
        delay, wanted = rng.uniform(0.0, 1.5), before + 2
    else:
        delay, wanted = 30.0, before + rng.randint(1, 3)
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline and proc.poll() is None:
        if len(util.generation_requests(fake)) >= wanted:
            time.sleep(rng.uniform(0.0, 0.08))
            break
        time.sleep(0.005)
    if proc.poll() is not None:
        return False
    proc.kill()
    return True


def test_sigkill_at_random_moments_never_loses_committed_records(make_fake, start_cli, run_cli, tmp_path, util):
    seed = int(os.environ.get("ALPACA_GEN_KILL_SEED", time.time_ns() % 2**32))
    print(f"kill schedule seed: {seed} (rerun with ALPACA_GEN_KILL_SEED={seed})")
    rng = random.Random(seed)
    fake = make_fake(latency=0.05)
    out = tmp_path / "out"
    target = 120
    # --request_batch_size 1 makes a run take ~30 requests, so there is time to kill it.
    args = ("generate", "--output_dir", out, "--base_url", fake.base_url, "--num_instructions_to_generate", target,
            "--concurrency", 2, "--request_batch_size", 1, "--backoff_base", 0.01)
    previous: list = []
    kills = 0
    killed_after_a_commit = 0
    for _ in range(12):
        if kills >= 5:
            break
        proc = start_cli(*args)
        killed = kill_at_random_moment(proc, fake, util, rng)
        result = proc.result()
        if killed:
            kills += 1
            assert proc.proc.returncode == -9
        else:
            assert result.returncode == 0, result.stderr
        current = read_regen(out, util)
        if current is None:
            assert previous == [], "regen.json disappeared after a kill"
            current = []
        assert_extends(previous, current, target)
        util.assert_no_secret(result, out)
        killed_after_a_commit += killed and len(current) > len(previous)
        previous = current
        if len(current) == target:
            break
    assert kills >= 5, f"only {kills} kills landed before the run finished"

    final = run_cli(*args)
    assert final.returncode == 0, final.stderr
    records = read_regen(out, util)
    assert len(records) == target
    assert_extends(previous, records, target)
    summary = util.load_summary(out)
    assert summary["records_in_file"] == target
    totals = summary["all_runs"]
    assert totals["kept"] == target, "the run totals lost track of committed records"
    judged = sum(v for k, v in totals["dropped"].items() if k not in PARSE_REASONS)
    assert totals["candidates"] == totals["kept"] + judged
    # runs.jsonl: a line for every run, the killed ones recovered from the run state, and
    # their numbers add up to the totals.
    runs = [json.loads(line) for line in (out / "runs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len({r["run_id"] for r in runs}) == len(runs)
    killed = [r for r in runs if "killed" in r["stopped_because"]]
    assert len(killed) >= killed_after_a_commit, [(r["stopped_because"], r["records_before"], r["records_after"]) for r in runs]
    for key in ("api_calls", "prompt_tokens", "completion_tokens", "kept", "candidates"):
        assert sum(r["stats"][key] for r in runs) == totals[key], key
    for i, stage in enumerate(totals["funnel"]):
        assert sum(r["stats"]["funnel"][i]["in"] for r in runs) == stage["in"]
        assert sum(r["stats"]["funnel"][i]["out"] for r in runs) == stage["out"]
        assert stage["in"] == stage["out"] + sum(stage["dropped"].values())
    util.assert_no_secret(final, out)


def test_killed_and_resumed_run_matches_uninterrupted_run(make_fake, start_cli, run_cli, tmp_path, util):
    fake = make_fake(latency=0.05)
    rng = random.Random(20240501)
    target = 60

    def args(out, *more):
        return ("generate", "--output_dir", out, "--base_url", fake.base_url, "--num_instructions_to_generate", target,
                "--concurrency", 1, "--request_batch_size", 1, "--seed", 4242, "--backoff_base", 0.01, *more)

    reference = run_cli(*args(tmp_path / "reference"))
    assert reference.returncode == 0, reference.stderr
    expected = (tmp_path / "reference" / "regen.json").read_bytes()
    assert len(json.loads(expected)) == target

    out = tmp_path / "resumed"
    previous: list = []
    kills = 0
    for _ in range(2):
        proc = start_cli(*args(out))
        wanted = len(util.generation_requests(fake)) + rng.randint(2, 3)
        util.wait_for(lambda: len(util.generation_requests(fake)) >= wanted or proc.poll() is not None,
                      timeout=30, interval=0.005, what="requests from the run")
        time.sleep(rng.uniform(0.0, 0.06))
        if proc.poll() is None:
            proc.kill()
            kills += 1
        current = read_regen(out, util) or []
        assert_extends(previous, current, target)
        previous = current
    assert kills == 2
    # A stop by --max_requests in between is one more way of being interrupted.
    partial = run_cli(*args(out, "--max_requests", 2))
    assert partial.returncode == 0, partial.stderr
    finish = run_cli(*args(out))
    assert finish.returncode == 0, finish.stderr
    assert (out / "regen.json").read_bytes() == expected
    util.assert_no_secret(finish, out)


def test_chat_max_requests_split_matches_uninterrupted_run(fake, run_cli, tmp_path, util):
    def args(out, *more):
        return ("generate", "--output_dir", out, "--base_url", fake.base_url, "--api", "chat",
                "--num_instructions_to_generate", 40, "--request_batch_size", 5, "--concurrency", 1, "--seed", 3, *more)

    assert run_cli(*args(tmp_path / "reference")).returncode == 0
    first = run_cli(*args(tmp_path / "split", "--max_requests", 2))
    assert first.returncode == 0, first.stderr
    second = run_cli(*args(tmp_path / "split"))
    assert second.returncode == 0, second.stderr
    assert (tmp_path / "split" / "regen.json").read_bytes() == (tmp_path / "reference" / "regen.json").read_bytes()
