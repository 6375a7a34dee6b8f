"""``generate --save_rejects FILE``: every drop of the funnel, one JSONL line each.

A line is written for each unusable completion (stage ``completions``: ``garbled``,
``empty_completion``, ``no_tasks_in_completion``) and each dropped task (``parse``,
``fields``, ``quality``, ``similarity``, ``target``), so that the lines of a run, by
stage and reason, are that run's funnel drops. Each line::

    {"run_id", "stage", "reason", "request", "prompt",
     "text"          completions and parse: the completion, or the task block (from its
                     "N. Instruction:" label on; on the completions API the first block's
                     label is the one the prompt ended with), as the model wrote it,
     "finish_reason" completions and parse, as the server gave it,
     "task"          fields, quality, similarity, target: {"instruction", "input", "output"} as parsed,
     "field"         quality: the field the rule read,
     "similar_to", "rouge_l_f1"  similarity: the pool entry (a seed or a kept instruction)
                     found above the threshold, and their ROUGE-L F1}

The lines of a commit are appended and flushed after that commit, in round order, so a
run killed and resumed adds the lines of each round once (a kill between a commit and
its lines loses those lines, never repeats them). The file is appended to across runs;
``run_id`` tells the runs apart (summary.json and runs.jsonl carry the same id).
"""
from __future__ import annotations

import json
from pathlib import Path

from .errors import CannotWriteError, UsageError


class RejectsFile:
    def __init__(self, path: str | Path, *, refuse: tuple[Path, ...] = ()):
        self.path = Path(path)
        for other in refuse:
            if self.path.resolve() == Path(other).resolve():
                raise UsageError(f"--save_rejects {path} is {other}: name another file")
        if self.path.is_dir():
            raise UsageError(f"--save_rejects {path} is a folder; name a file (rejects.jsonl)")
        try:  # opened now: a file that cannot be written stops the run before anything is sent
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "a", encoding="utf-8")
        except OSError as exc:
            raise CannotWriteError(f"cannot write --save_rejects {self.path}: {exc.strerror or exc}") from None

    def write(self, rejects: list[dict], run_id: str) -> None:
        if not rejects or self._file is None:
            return
        try:
            self._file.write("".join(json.dumps({"run_id": run_id, **reject}, ensure_ascii=False) + "\n"
                                     for reject in rejects))
            self._file.flush()
        except OSError as exc:
            raise CannotWriteError(f"cannot write --save_rejects {self.path}: {exc.strerror or exc}") from None

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
