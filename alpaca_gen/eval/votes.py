"""One annotator's votes on one pair of answers files: an append-only JSONL file.

Every vote is one line written with a single ``write`` and fsynced before the page
hears it was saved; an undo is a line of its own, cancelling the last vote still
standing. Reading the file replays the lines, so a crash, a reload or a new process
resumes exactly where the annotator stopped; a line cut by a crash is skipped (and
the next line starts on a fresh one).

Which answer is on the left is decided per item and annotator from a seed, so the
sides are random to the annotator but the same on every reload.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import CannotWriteError

CHOICES = ("left", "right", "tie", "both_bad")


@dataclass(frozen=True)
class Vote:
    item: str
    outcome: str  # "a", "b", "tie" or "both_bad": the models' side, not the page's


def left_is_a(annotator: str, item: str, seed: int) -> bool:
    digest = hashlib.sha256(f"alpaca-gen-annotate:{seed}:{annotator}:{item}".encode("utf-8")).digest()
    return digest[0] % 2 == 0


class VotesFile:
    def __init__(self, path: Path, *, annotator: str, model_a: str, model_b: str, seed: int):
        self.path = Path(path)
        self.annotator, self.model_a, self.model_b, self.seed = annotator, model_a, model_b, seed
        self.standing: list[Vote] = []  # votes in the order given, undone ones removed
        self.skipped_lines = 0
        self._load()

    def _load(self) -> None:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return
        for line in data.decode("utf-8", "replace").split("\n"):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                self.skipped_lines += 1
                continue
            if entry.get("type") == "vote" and isinstance(entry.get("item"), str):
                self.standing.append(Vote(entry["item"], entry.get("outcome", "tie")))
            elif entry.get("type") == "undo" and self.standing:
                self.standing.pop()
        if data and not data.endswith(b"\n"):
            self._append_bytes(b"\n")  # a line cut by a crash: the next one starts afresh

    def voted(self) -> set[str]:
        return {vote.item for vote in self.standing}

    def outcome_of(self, item: str, choice: str) -> str:
        if choice in ("tie", "both_bad"):
            return choice
        a_left = left_is_a(self.annotator, item, self.seed)
        return "a" if (choice == "left") == a_left else "b"

    def vote(self, item: str, choice: str, *, lang: str = "", length_a: int = 0, length_b: int = 0) -> Vote:
        vote = Vote(item, self.outcome_of(item, choice))
        self._append({"type": "vote", "time": time.time(), "annotator": self.annotator, "item": item, "lang": lang,
                      "choice": choice, "left": "a" if left_is_a(self.annotator, item, self.seed) else "b",
                      "outcome": vote.outcome, "model_a": self.model_a, "model_b": self.model_b,
                      "length_a": length_a, "length_b": length_b})
        self.standing.append(vote)
        return vote

    def undo(self) -> Vote | None:
        if not self.standing:
            return None
        last = self.standing[-1]
        self._append({"type": "undo", "time": time.time(), "annotator": self.annotator, "item": last.item})
        self.standing.pop()
        return last

    def _append(self, entry: dict) -> None:
        self._append_bytes((json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8"))

    def _append_bytes(self, data: bytes) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise CannotWriteError(f"cannot save the vote to {self.path}: {exc.strerror or exc}") from None
