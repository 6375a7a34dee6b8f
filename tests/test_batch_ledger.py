"""The batch ledger: each step of a wave is on disk before the next begins, and survives a cut line."""
from __future__ import annotations

from alpaca_gen.batch.ledger import BatchLedger


def test_steps_are_read_back_by_a_new_run(tmp_path):
    ledger = BatchLedger(tmp_path)
    assert ledger.next_wave_number() == 1 and ledger.open_waves() == []
    ledger.uploaded(1, range(0, 40), "/v1/completions", ["file-a"])
    ledger.created(1, ["batch-a"])
    ledger.uploaded(2, range(40, 90), "/v1/completions", ["file-b", "file-c"])

    again = BatchLedger(tmp_path)
    first, second = again.waves[1], again.waves[2]
    assert (first.step, first.batch_ids, first.rounds) == ("created", ["batch-a"], frozenset(range(0, 40)))
    assert (second.step, second.input_file_ids) == ("uploaded", ["file-b", "file-c"])
    assert again.wave_of(39) is first and again.wave_of(40) is second and again.wave_of(90) is None
    assert [w.number for w in again.open_waves()] == [1, 2] and again.next_wave_number() == 3
    again.ended(1, "expired")
    again.uploaded(3, [20, 21, 22, 35, 90], "/v1/completions", ["file-d"])  # what expired, and new rounds
    third = BatchLedger(tmp_path)
    assert third.waves[1].step == "ended" and third.wave_of(21).number == 3 and third.wave_of(5).number == 1
    assert third.waves[3].rounds == {20, 21, 22, 35, 90} and third.wave_of(23).number == 1
    assert '"rounds": [[20, 23], [35, 36], [90, 91]]' in third.path.read_text(encoding="utf-8")
    assert third.from_earlier_runs == {1, 2, 3}


def test_a_line_cut_by_a_crash_is_ignored(tmp_path):
    ledger = BatchLedger(tmp_path)
    ledger.uploaded(1, range(0, 10), "/v1/chat/completions", ["file-a"])
    with open(ledger.path, "ab") as f:
        f.write(b'{"wave": 1, "step": "created", "batch_i')  # killed mid-write
    again = BatchLedger(tmp_path)
    assert again.waves[1].step == "uploaded"  # the create is looked for before it is redone
    again.created(1, ["batch-a"])
    assert BatchLedger(tmp_path).waves[1].batch_ids == ["batch-a"]
