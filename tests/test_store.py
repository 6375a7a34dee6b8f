"""store.RegenStore: regen.json stays complete, Stanford's layout, resumable, one run at a time."""
from __future__ import annotations

import json
import re
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from alpaca_gen.errors import BusyError, DataError, UsageError
from alpaca_gen.state import RunState
from alpaca_gen.store import RegenStore

PACKAGE_DIR = str(Path(__file__).resolve().parents[1] / "alpaca_gen")

# Child processes import only alpaca_gen.store (and .errors), not the whole package, which would
# pull in openai and friends and cost most of a second per process.
CHILD_PRELUDE = f"""
import json, os, sys, time, types
pkg = types.ModuleType("alpaca_gen")
pkg.__path__ = [{PACKAGE_DIR!r}]
sys.modules["alpaca_gen"] = pkg
from alpaca_gen.store import RegenStore
from alpaca_gen.state import RunState
from alpaca_gen.errors import BusyError
"""


def state(**fields) -> RunState:
    return RunState(**fields)


def records_of(store: RegenStore) -> list[dict]:
    return [record.to_dict() for record in store.records]


def expected_bytes(records: list[dict]) -> bytes:
    return json.dumps(records, indent=4, ensure_ascii=False).encode("utf-8")


def make_record(i: int, request: int) -> dict:
    return {
        "instruction": f"다음 글을 읽고 핵심 내용을 {i % 5 + 1}문장으로 요약하세요.",
        "input": "" if i % 3 == 0 else f"지난주 회의에서 {i}번 안건이 \"보류\"되었다.\nNext step: ask the team.",
        "output": f"요약 {i}: 안건은 보류되었고 다음 회의에서 다시 논의합니다. ✅",
        "most_similar_instructions": {"다음 글을 요약하세요.": 0.5, "Summarize the text.": 0.0},
        "avg_similarity_score": 0.123456789,
        "provenance": {"request": request, "choice": i % 2, "tags": ["ko", None, True, 1.5]},
    }


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


# --- layout ------------------------------------------------------------------------------------
def test_bytes_equal_json_dumps_after_every_commit(tmp_path):
    records: list[dict] = []
    with RegenStore(tmp_path) as store:
        assert store.records == []
        assert not (tmp_path / "regen.json").exists()
        i = 0
        for request, size in enumerate([1, 3, 2, 5, 1, 4]):
            batch = [make_record(i + j, request) for j in range(size)]
            i += size
            store.commit(batch, state(next_request=request + 1))
            records.extend(batch)
            data = (tmp_path / "regen.json").read_bytes()
            assert data == expected_bytes(records)
            assert json.loads(data) == records
            assert records_of(store) == records
    # Korean is written as it is, not as \\uXXXX escapes.
    text = (tmp_path / "regen.json").read_text(encoding="utf-8")
    assert "다음 글을 읽고" in text and "\\u" not in text


def test_bytes_stay_exact_across_reopen(tmp_path):
    first = [make_record(0, 0), make_record(1, 0)]
    with RegenStore(tmp_path) as store:
        store.commit(first, state(next_request=1))
    with RegenStore(tmp_path) as store:
        assert records_of(store) == first
        second = [make_record(2, 1)]
        store.commit(second, state(next_request=2))
    assert (tmp_path / "regen.json").read_bytes() == expected_bytes(first + second)


def test_empty_commit_keeps_state(tmp_path):
    path = tmp_path / "regen.json"
    with RegenStore(tmp_path) as store:
        store.commit([], state(next_request=3))
        # Either no file yet or an empty list: never anything a reader cannot load.
        assert not path.exists() or path.read_bytes() == expected_bytes([])
        assert store.state.next_request == 3 and store.state.records == 0
    with RegenStore(tmp_path) as store:
        assert store.state.next_request == 3
        assert store.records == []
        store.commit([make_record(0, 3)], state(next_request=4))
    assert path.read_bytes() == expected_bytes([make_record(0, 3)])


def test_empty_commit_after_records_changes_no_byte(tmp_path):
    with RegenStore(tmp_path) as store:
        store.commit([make_record(0, 0)], state(next_request=1))
        store.commit([], state(next_request=2))
        assert (tmp_path / "regen.json").read_bytes() == expected_bytes([make_record(0, 0)])
        store.commit([make_record(1, 2)], state(next_request=3))
    assert (tmp_path / "regen.json").read_bytes() == expected_bytes([make_record(0, 0), make_record(1, 2)])
    with RegenStore(tmp_path) as store:
        assert store.state.next_request == 3


def test_records_after_an_empty_first_commit_in_the_same_run(tmp_path):
    # A run whose first request keeps nothing (every task filtered), then keeps one. Regression:
    # when the empty commit created "[]", the next commit used to overwrite its "[".
    with RegenStore(tmp_path) as store:
        store.commit([], state(next_request=1))
        store.commit([make_record(0, 1)], state(next_request=2))
    assert (tmp_path / "regen.json").read_bytes() == expected_bytes([make_record(0, 1)])


def test_resume_empty_list_file(tmp_path):
    (tmp_path / "regen.json").write_text("[]")
    with RegenStore(tmp_path) as store:
        assert store.records == []
        store.commit([make_record(0, 0)], state(next_request=1))
    assert (tmp_path / "regen.json").read_bytes() == expected_bytes([make_record(0, 0)])


def test_resume_stanford_file_with_ascii_escapes(tmp_path):
    old = [
        {"instruction": "Give three tips for staying healthy.", "input": "", "output": "Eat well.",
         "most_similar_instructions": {}, "avg_similarity_score": 0.1},
        {"instruction": "다음 문장을 영어로 번역하세요.", "input": "좋은 아침입니다.", "output": "Good morning.",
         "most_similar_instructions": {"Translate the sentence.": 0.4}, "avg_similarity_score": 0.2},
    ]
    path = tmp_path / "regen.json"
    with open(path, "w") as f:
        json.dump(old, f, indent=4)  # Stanford: ensure_ascii=True, no trailing newline
    original = path.read_bytes()
    assert b"\\u" in original
    with RegenStore(tmp_path) as store:
        assert records_of(store) == old
        new = [make_record(0, 0), make_record(1, 0)]
        store.commit(new, state(next_request=1))
        store.commit([make_record(2, 1)], state(next_request=2))
    data = path.read_bytes()
    assert json.loads(data) == old + new + [make_record(2, 1)]
    # The Stanford part is kept as it was, escapes and all.
    assert data.startswith(original[:-1].rstrip())


def test_resume_compact_file(tmp_path):
    old = [{"instruction": "Name the capital of Australia.", "input": "", "output": "Canberra"}]
    (tmp_path / "regen.json").write_text(json.dumps(old) + "\n")
    with RegenStore(tmp_path) as store:
        store.commit([make_record(0, 0)], state(next_request=1))
    assert json.loads((tmp_path / "regen.json").read_text()) == old + [make_record(0, 0)]


# --- invalid files ---------------------------------------------------------------------------
_VALID = json.dumps([make_record(0, 0), make_record(1, 0)], indent=4, ensure_ascii=False).encode()

INVALID = {
    "not_json": b"this is not JSON at all\n",
    "dict": json.dumps({"instruction": "Give three tips.", "output": "..."}, indent=4).encode(),
    "list_of_strings": json.dumps(["Give three tips.", "Name a city."], indent=4).encode(),
    "truncated": _VALID[: len(_VALID) * 2 // 3],
    "missing_instruction": json.dumps([{"input": "", "output": "x"}], indent=4).encode(),
    "empty": b"",
    "not_utf8": b'[{"instruction": "caf\xe9"}]',
}


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_regen_json_is_left_unchanged(tmp_path, name):
    path = tmp_path / "regen.json"
    path.write_bytes(INVALID[name])
    with pytest.raises(DataError, match="cannot be resumed") as err:
        RegenStore(tmp_path).open()
    assert str(path) in str(err.value)
    assert path.read_bytes() == INVALID[name]
    assert not (tmp_path / ".alpaca-gen").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["regen.json"]


@pytest.mark.parametrize("name", ["not_json", "truncated", "list_of_strings"])
def test_invalid_regen_json_leaves_existing_state_dir_alone(tmp_path, name):
    with RegenStore(tmp_path) as store:
        store.commit([make_record(0, 0)], state(next_request=1))
    path = tmp_path / "regen.json"
    path.write_bytes(INVALID[name])  # someone edited it by hand
    before = snapshot(tmp_path / ".alpaca-gen")
    assert "regen.spare.json" in before
    with pytest.raises(DataError):
        RegenStore(tmp_path).open()
    assert path.read_bytes() == INVALID[name]
    assert snapshot(tmp_path / ".alpaca-gen") == before


def test_output_dir_that_is_a_file(tmp_path):
    target = tmp_path / "out"
    target.write_text("not a directory")
    with pytest.raises(UsageError):
        RegenStore(target).open()


# --- locking -------------------------------------------------------------------------------------
def test_second_store_on_same_dir_is_busy(tmp_path):
    first = RegenStore(tmp_path)
    first.open()
    try:
        with pytest.raises(BusyError, match=str(os.getpid())):
            RegenStore(tmp_path).open()
    finally:
        first.close()
    # Free again once the first is closed.
    with RegenStore(tmp_path):
        pass


def _spawn(code: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD_PRELUDE + textwrap.dedent(code), *args],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def test_busy_while_a_subprocess_holds_the_dir(tmp_path):
    child = _spawn(
        """
        store = RegenStore(sys.argv[1])
        store.open()
        print("open", flush=True)
        sys.stdin.read()  # hold the lock until the parent closes stdin
        store.close()
        """,
        str(tmp_path),
    )
    try:
        assert child.stdout.readline().strip() == "open", child.stderr.read()
        with pytest.raises(BusyError, match=f"pid {child.pid}"):
            RegenStore(tmp_path).open()
    finally:
        child.stdin.close()
        child.wait(timeout=10)
    with RegenStore(tmp_path):
        pass


def test_subprocess_is_busy_while_we_hold_the_dir(tmp_path):
    code = """
        try:
            RegenStore(sys.argv[1]).open()
            print("opened")
        except BusyError as exc:
            print("busy", exc.exit_code)
        """
    with RegenStore(tmp_path):
        out = subprocess.run([sys.executable, "-c", CHILD_PRELUDE + textwrap.dedent(code), str(tmp_path)],
                             capture_output=True, text=True, timeout=30)
        assert out.stdout.split() == ["busy", "75"], out.stderr
    out = subprocess.run([sys.executable, "-c", CHILD_PRELUDE + textwrap.dedent(code), str(tmp_path)],
                         capture_output=True, text=True, timeout=30)
    assert out.stdout.split() == ["opened"], out.stderr


def test_lock_released_when_holder_is_killed(tmp_path):
    child = _spawn(
        """
        store = RegenStore(sys.argv[1])
        store.open()
        print("open", flush=True)
        time.sleep(30)
        """,
        str(tmp_path),
    )
    assert child.stdout.readline().strip() == "open"
    child.kill()
    child.wait(timeout=10)
    with RegenStore(tmp_path):
        pass


# --- state ------------------------------------------------------------------------------------------
def test_state_round_trip(tmp_path):
    from alpaca_gen.state import RunStats

    with RegenStore(tmp_path) as store:
        assert store.state == RunState()
        totals = RunStats()
        totals.usage.api_calls = 3
        totals.funnel["fields"].drop("too_short", 2)
        store.commit([make_record(0, 0), make_record(1, 0)], state(next_request=1, seed=42, lang="ko", totals=totals))
        totals.funnel["fields"].drop("too_short", 1)
        store.commit([make_record(2, 1)], state(next_request=2, seed=42, lang="ko", max_tokens=900, totals=totals))
    with RegenStore(tmp_path) as store:
        saved = store.state
        assert (saved.records, saved.next_request, saved.seed, saved.lang, saved.max_tokens) == (3, 2, 42, "ko", 900)
        assert saved.totals.usage.api_calls == 3 and saved.totals.funnel["fields"].dropped == {"too_short": 3}
        assert not store.recovered_state
    assert json.loads((tmp_path / ".alpaca-gen" / "state.json").read_text())["version"] == 2
    assert not (tmp_path / ".alpaca-gen" / "state.pending.json").exists()


def test_version_1_state_is_migrated(tmp_path):
    """A state.json written by the version before the funnel: flat counters, one `dropped`."""
    (tmp_path / "regen.json").write_bytes(expected_bytes([make_record(0, 0), make_record(1, 3)]))
    (tmp_path / ".alpaca-gen").mkdir()
    v1 = {"version": 1, "records": 2, "next_request": 4, "next_prompt": 0, "seed": 9, "lang": "ko", "max_tokens": 2048,
          "totals": {"rounds": 4, "api_calls": 4, "retries": 1, "prompt_tokens": 100, "completion_tokens": 400,
                     "candidates": 30, "kept": 2, "garbled_choices": 1, "unused_rounds": 0, "abandoned_calls": 0,
                     "dropped": {"truncated": 3, "malformed": 2, "no_tasks_in_completion": 1, "too_short": 4,
                                 "not_korean": 1, "near_duplicate": 20, "over_target": 3}}}
    (tmp_path / ".alpaca-gen" / "state.json").write_text(json.dumps(v1))
    with RegenStore(tmp_path) as store:
        migrated = store.state
        assert not store.recovered_state
        assert (migrated.next_request, migrated.seed, migrated.lang, migrated.max_tokens) == (4, 9, "ko", 2048)
        totals = migrated.totals
        assert totals.usage.api_calls == 4 and totals.usage.retries == 1 and totals.usage.completion_tokens == 400
        f = totals.funnel
        assert (f["parse"].entered, f["parse"].passed, f["parse"].dropped) == (35, 30, {"truncated": 3, "malformed": 2})
        assert (f["fields"].entered, f["fields"].passed) == (30, 25)
        assert f["fields"].dropped == {"too_short": 4, "not_korean": 1}
        assert (f["similarity"].entered, f["similarity"].passed) == (25, 5)
        assert (f["target"].entered, f["target"].passed, f["target"].dropped) == (5, 2, {"over_target": 3})
        assert f.problems() == []
        # Version 1 never counted completions that yielded tasks: its per-completion drops stay as they were.
        assert totals.legacy_completion_drops == {"no_tasks_in_completion": 1, "garbled": 1}


def test_a_killed_run_gets_its_line_in_runs_jsonl(tmp_path):
    from alpaca_gen.state import RunInfo, RunStats

    stats = RunStats()
    stats.usage.api_calls = 7
    run = RunInfo("abc123", "generate", "2026-12-01T10:00:00+00:00", 0, {"model": "m"}, stats, "2026-12-01T10:05:00+00:00")
    with RegenStore(tmp_path) as store:
        store.commit([make_record(0, 0)], state(next_request=1, totals=stats, run=run))
    # The process died here, before writing its runs.jsonl line and clearing the run.
    with RegenStore(tmp_path) as store:
        assert store.state.run is None and store.recovered_run is not None
        lines = store.runs.read()
    assert [(l["run_id"], l["stats"]["api_calls"], l["records_after"]) for l in lines] == [("abc123", 7, 1)]
    assert "killed" in lines[0]["stopped_because"] and lines[0]["ended"] == "2026-12-01T10:05:00+00:00"
    with RegenStore(tmp_path) as store:  # recovered once, not again
        assert store.recovered_run is None and len(store.runs.read()) == 1


def test_pending_state_with_matching_count_is_adopted(tmp_path):
    state_dir = tmp_path / ".alpaca-gen"
    with RegenStore(tmp_path) as store:
        store.commit([make_record(0, 0)], state(next_request=1, seed=7))
        after_first = (state_dir / "state.json").read_bytes()
        store.commit([make_record(1, 1), make_record(2, 1)], state(next_request=2, seed=7))
    # A crash after the switch, before the state was promoted: pending holds the new state,
    # state.json still the old one.
    (state_dir / "state.json").rename(state_dir / "state.pending.json")
    (state_dir / "state.json").write_bytes(after_first)
    with RegenStore(tmp_path) as store:
        assert store.state.next_request == 2 and store.state.records == 3 and store.state.seed == 7
        assert not store.recovered_state
    assert json.loads((state_dir / "state.json").read_text())["records"] == 3
    assert not (state_dir / "state.pending.json").exists()


def test_pending_state_of_an_uncommitted_batch_is_ignored(tmp_path):
    state_dir = tmp_path / ".alpaca-gen"
    with RegenStore(tmp_path) as store:
        store.commit([make_record(0, 0)], state(next_request=1, seed=7))
    # A crash before the switch: pending counts a batch regen.json does not have.
    (state_dir / "state.pending.json").write_text(json.dumps({"version": 1, "records": 4, "next_request": 9}))
    with RegenStore(tmp_path) as store:
        assert store.state.next_request == 1 and store.state.records == 1
    assert not (state_dir / "state.pending.json").exists()


def test_stale_state_is_derived_from_provenance(tmp_path):
    with RegenStore(tmp_path) as store:
        store.commit([make_record(0, 0), make_record(1, 4)], state(next_request=5))
    # regen.json edited by hand: one more record, so state.json no longer matches.
    records = json.loads((tmp_path / "regen.json").read_text()) + [make_record(2, 8)]
    (tmp_path / "regen.json").write_bytes(expected_bytes(records))
    with RegenStore(tmp_path) as store:
        assert store.recovered_state
        assert store.state == RunState(records=3, next_request=9)


def test_stanford_file_without_provenance_starts_at_request_0(tmp_path):
    (tmp_path / "regen.json").write_text(json.dumps([{"instruction": "Give three tips.", "input": "", "output": "x"}], indent=4))
    with RegenStore(tmp_path) as store:
        assert store.recovered_state
        assert store.state == RunState(records=1, next_request=0)


# --- crash safety -----------------------------------------------------------------------------------
BATCH_SIZES = [1 + (k * 7) % 5 for k in range(100000)]  # batch k holds BATCH_SIZES[k] records


def _boundaries(limit: int) -> dict[int, int]:
    """Record count after batch k -> k + 1 (the next request)."""
    out, total = {0: 0}, 0
    for k, size in enumerate(BATCH_SIZES):
        total += size
        if total > limit:
            break
        out[total] = k + 1
    return out


CRASH_CHILD = f"""
BATCH_SIZES = [1 + (k * 7) % 5 for k in range(100000)]

def record(i, request):
    return {{"instruction": f"{{i}}번째 과제: 다음 글을 세 문장으로 요약하세요.", "input": "회의록 " * (i % 4),
            "output": f"요약 {{i}} — 끝.", "provenance": {{"request": request}}}}

store = RegenStore(sys.argv[1])
records = store.open()
# Every batch is whole, every record is the one written, and the state matches the records.
starts, total = {{}}, 0
for k, size in enumerate(BATCH_SIZES):
    starts[total] = k
    if total >= len(records):
        break
    total += size
if len(records) not in starts:
    print("partial batch", len(records), flush=True); sys.exit(3)
k = starts[len(records)]
if store.state.next_request != k or store.state.records != len(records):
    print("bad state", store.state, len(records), flush=True); sys.exit(3)
print("ready", len(records), flush=True)
n = len(records)
deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    size = BATCH_SIZES[k]
    batch = []
    for i in range(n, n + size):
        rec = record(i, k)
        batch.append(rec)
    store.commit(batch, RunState(next_request=k + 1, seed=1))
    n += size
    k += 1
    print("committed", n, flush=True)
"""


def _expected_record(i: int, request: int) -> dict:
    return {"instruction": f"{i}번째 과제: 다음 글을 세 문장으로 요약하세요.", "input": "회의록 " * (i % 4),
            "output": f"요약 {i} — 끝.", "provenance": {"request": request}}


def test_sigkill_at_random_moments_never_breaks_regen_json(tmp_path):
    rng = random.Random(12345)
    path = tmp_path / "regen.json"
    previous: list[dict] = []
    kills = 0
    for round_number in range(32):
        child = subprocess.Popen([sys.executable, "-c", CHILD_PRELUDE + CRASH_CHILD, str(tmp_path)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if round_number % 4 == 3:
            # Kill it while it starts up or opens the store (copying the spare, recovering state).
            time.sleep(rng.uniform(0.05, 0.25))
        else:
            line = child.stdout.readline()
            assert line.startswith("ready"), (line, child.stderr.read())
            time.sleep(rng.uniform(0.0, 0.06))
        child.send_signal(signal.SIGKILL)
        out, err = child.communicate(timeout=30)
        assert child.returncode == -signal.SIGKILL, (child.returncode, out, err)
        kills += 1
        assert "partial batch" not in out and "bad state" not in out, out
        # A kill can cut the child's last "committed N" line short; only whole lines count.
        committed = [int(m.group(1)) for m in re.finditer(r"^committed (\d+)$", out, re.M)]

        if not path.exists():
            assert previous == [] and committed == []
            continue
        records = json.loads(path.read_bytes())  # always complete, valid JSON
        assert records[: len(previous)] == previous, "records committed earlier changed"
        if committed:
            assert len(records) >= committed[-1], "a commit the child saw complete was lost"
        bounds = _boundaries(len(records))
        assert len(records) in bounds, "a batch was half written"
        start = 0
        for k in range(bounds[len(records)]):
            for i in range(start, start + BATCH_SIZES[k]):
                assert records[i] == _expected_record(i, k)
            start += BATCH_SIZES[k]
        assert path.read_bytes() == expected_bytes(records)
        previous = records
    assert kills >= 30
    assert len(previous) > 50, "the children should have committed many batches"

    # Reopen and continue after the last kill.
    with RegenStore(tmp_path) as store:
        assert records_of(store) == previous
        next_request = _boundaries(len(previous))[len(previous)]
        assert store.state.next_request == next_request
        size = BATCH_SIZES[next_request]
        batch = [_expected_record(i, next_request) for i in range(len(previous), len(previous) + size)]
        store.commit(batch, state(next_request=next_request + 1))
    assert path.read_bytes() == expected_bytes(previous + batch)
