"""Rounds that finish while a commit is running share the next commit, and the data
is the same as with one commit per round."""
from __future__ import annotations

import json
import time

from alpaca_gen import pipeline
from alpaca_gen.store import RegenStore


def _run(fake, out, concurrency: int, store=None) -> dict:
    config = pipeline.GenerateConfig.from_flags(
        output_dir=str(out), base_url=fake.base_url, api_key="sk-test-batching", api="chat", request_batch_size=1,
        concurrency=concurrency, max_requests=12, seed=3, num_instructions_to_generate=10**6, progress=False,
    )
    return pipeline.Generator(config, store=store).run()


def test_rounds_finished_during_a_commit_share_the_next_one(make_fake, tmp_path, capsys):
    fake = make_fake(latency=0.2)
    _run(fake, tmp_path / "one_by_one", 1)  # one round in flight: one commit per round

    commits: list[tuple[int, dict]] = []

    class SlowFirstCommit(RegenStore):
        def commit(self, records, state):
            commits.append((len(records), state.next_request))
            if len(commits) == 1:
                time.sleep(0.6)  # every other round is answered meanwhile
            return super().commit(records, state)

    summary = _run(fake, tmp_path / "batched", 12, store=SlowFirstCommit(tmp_path / "batched"))
    capsys.readouterr()

    assert summary["this_run"]["api_calls"] == 12
    # The round(s) answered first, then all the others together (or all of them at once when
    # they were all in before the first commit began), then the run's closing totals; one
    # commit per round would be 13.
    round_commits = [next_request for _, next_request in commits]
    assert len(commits) <= 3 and round_commits[-2:] == [12, 12], round_commits
    batched = (tmp_path / "batched" / "regen.json").read_bytes()
    assert batched == (tmp_path / "one_by_one" / "regen.json").read_bytes()
    assert sum(n for n, _ in commits) == len(json.loads(batched))


def test_rounds_after_the_target_in_a_batch_are_not_skipped_by_a_later_run(make_fake, tmp_path, capsys):
    """A batch may hold rounds answered after the round that reached the target. They are
    billed but unused, and the run state must point right after the target's round, so a
    later run with a higher target asks for them again: the same data as with one round
    in flight at a time, where no round past the target is ever sent."""
    fake = make_fake(latency=0.05)
    flags = dict(base_url=fake.base_url, api_key="sk-test-batching", api="chat", request_batch_size=1, seed=7,
                 progress=False)
    summaries = {}
    for concurrency in (16, 1):
        out = str(tmp_path / f"c{concurrency}")
        first = pipeline.generate(output_dir=out, concurrency=concurrency, num_instructions_to_generate=30, **flags)
        pipeline.generate(output_dir=out, concurrency=concurrency, num_instructions_to_generate=70, **flags)
        summaries[concurrency] = first
    capsys.readouterr()
    assert (tmp_path / "c16" / "regen.json").read_bytes() == (tmp_path / "c1" / "regen.json").read_bytes()
    assert summaries[16]["this_run"]["unused_rounds"] >= 1  # rounds past the target were answered, not used
    assert summaries[1]["this_run"]["unused_rounds"] == 0
