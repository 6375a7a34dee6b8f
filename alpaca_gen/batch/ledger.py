"""The batch ledger: what was submitted, written before anything waits on it.

``.alpaca-gen/batches.jsonl`` beside regen.json holds one line per step of a
wave: ``uploaded`` (its rounds and input file), ``created`` (the batch's id),
``ended`` (its final status). Every line is fsynced before the next step starts,
so a run killed at any point and started again knows, for each wave, the last
step that happened: a wave with a batch id is re-attached, never created again;
a wave uploaded but not created looks for a batch made from its input file (the
create may have reached the server just before the kill) before creating one.
A last line cut by a crash is ignored; the step it recorded is redone or found.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

LEDGER_NAME = "batches.jsonl"
STEPS = ("uploaded", "created", "ended", "prepared")


def _spans(rounds: list[int]) -> list[list[int]]:
    """[3, 4, 5, 9] -> [[3, 6], [9, 10]]: a wave's rounds, short on disk."""
    spans: list[list[int]] = []
    for r in sorted(rounds):
        if spans and spans[-1][1] == r:
            spans[-1][1] = r + 1
        else:
            spans.append([r, r + 1])
    return spans


@dataclass
class Wave:
    number: int
    rounds: frozenset[int]
    url: str
    input_file_ids: list[str] = field(default_factory=list)
    batch_ids: list[str] = field(default_factory=list)
    status: str | None = None  # the final status(es) once ended
    #: batch prepare: the file written for another engine, its sha256, and the settings that made it
    prepared_file: str | None = None
    digest: str | None = None
    settings: dict = field(default_factory=dict)

    @property
    def step(self) -> str:
        if self.status is not None:
            return "ended"
        return "created" if self.batch_ids else "uploaded"


class BatchLedger:
    def __init__(self, state_dir: str | Path):
        self.path = Path(state_dir) / LEDGER_NAME
        self.waves: dict[int, Wave] = {}
        self._read()
        #: Waves an earlier run wrote: only those can have a batch whose id was never written down.
        self.from_earlier_runs = set(self.waves)

    def _read(self) -> None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        for line in text.splitlines():
            try:
                entry = json.loads(line)
                self._apply(entry)
            except (ValueError, KeyError, TypeError):
                continue  # a line cut by a crash

    def _apply(self, entry: dict) -> None:
        number, step = int(entry["wave"]), entry["step"]
        if step == "uploaded":
            rounds = frozenset(r for start, stop in entry["rounds"] for r in range(int(start), int(stop)))
            self.waves[number] = Wave(number, rounds, str(entry["url"]), [str(i) for i in entry["input_file_ids"]])
        elif step == "prepared":
            rounds = frozenset(r for start, stop in entry["rounds"] for r in range(int(start), int(stop)))
            self.waves[number] = Wave(number, rounds, str(entry["url"]), prepared_file=str(entry["file"]),
                                      digest=str(entry["sha256"]), settings=dict(entry["settings"]))
        elif step == "created":
            wave = self.waves[number]
            wave.batch_ids = [str(i) for i in entry["batch_ids"]]
        elif step == "ended":
            self.waves[number].status = str(entry["status"])
        else:
            raise ValueError(f"unknown step {step!r}")

    def _append(self, entry: dict) -> None:
        self._apply(entry)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
        with open(self.path, "ab+") as f:
            if f.tell():
                f.seek(-1, os.SEEK_END)
                if f.read(1) != b"\n":  # a line cut by a crash: end it, so ours stands alone
                    data = b"\n" + data
            f.write(data)
            f.flush()
            os.fsync(f.fileno())

    def next_wave_number(self) -> int:
        return max(self.waves, default=0) + 1

    def uploaded(self, number: int, rounds, url: str, input_file_ids: list[str]) -> Wave:
        self._append({"wave": number, "step": "uploaded", "rounds": _spans(list(rounds)), "url": url,
                      "input_file_ids": list(input_file_ids)})
        return self.waves[number]

    def prepared(self, number: int, rounds, url: str, path: str, digest: str, settings: dict) -> Wave:
        self._append({"wave": number, "step": "prepared", "rounds": _spans(list(rounds)), "url": url, "file": path,
                      "sha256": digest, "settings": settings})
        return self.waves[number]

    def created(self, number: int, batch_ids: list[str]) -> None:
        self._append({"wave": number, "step": "created", "batch_ids": list(batch_ids)})

    def ended(self, number: int, status: str) -> None:
        self._append({"wave": number, "step": "ended", "status": status})

    def wave_of(self, round_number: int) -> Wave | None:
        """The latest Batch API wave that carried ``round_number`` (prepared files are not waited on)."""
        found = None
        for wave in self.waves.values():
            if wave.prepared_file is None and round_number in wave.rounds and (found is None or wave.number > found.number):
                found = wave
        return found

    def open_waves(self) -> list[Wave]:
        """Batch API waves submitted and not yet ended, oldest first."""
        return [w for n, w in sorted(self.waves.items()) if w.status is None and w.prepared_file is None]
