"""regen.json: a JSON list that is complete and readable at every instant.

Stanford rewrote the whole file after every request, in place: O(N) per batch,
and a crash mid-write left a file the next run could not load. Here a commit
costs O(batch) and regen.json is always one of two complete files:

* ``.alpaca-gen/regen.spare.json`` is a second inode with the same content.
* A commit appends the batch to the spare (overwriting the closing ``]``), links
  the live file as ``regen.old.json``, then ``rename``s the spare over regen.json,
  an atomic switch. The old inode, no longer live, gets the same append and
  becomes the next spare.

Writes only ever touch a file nobody reads as regen.json, so kill -9 at any point
leaves regen.json either before or after the batch, never in between. The cost is
a second copy on disk, which the next run rebuilds if it is missing or stale.
The file's bytes stay exactly ``json.dumps(records, indent=4, ensure_ascii=False)``,
Stanford's layout (without its \\uXXXX escapes), and a Stanford regen.json is
resumed and appended to as it is.

Run state (a :class:`~alpaca_gen.state.RunState`: next request number, counters,
seed) sits in ``.alpaca-gen/state.json`` and is committed with the same batch:
written as ``state.pending.json`` first and promoted after the switch, so a crash
between the two is resolved on the next open by comparing record counts. The store
owns the state's file format: it reads today's version and migrates older ones.
A run killed before it wrote its line in ``runs.jsonl`` gets that line on the next open.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
from pathlib import Path

from .errors import BusyError, DataError, UsageError
from .records import Record
from .funnel import Funnel
from .state import RunLog, RunState, RunStats

REGEN_NAME = "regen.json"
STATE_DIR = ".alpaca-gen"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomic(path: Path, data: bytes, *, durable: bool = True) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        if durable:
            os.fsync(f.fileno())
    os.replace(tmp, path)


def _pwrite_tail(path: Path, offset: int, payload: bytes, *, durable: bool = True) -> None:
    fd = os.open(path, os.O_RDWR)
    try:
        written = os.pwrite(fd, payload, offset)
        while written < len(payload):
            written += os.pwrite(fd, payload[written:], offset + written)
        os.ftruncate(fd, offset + len(payload))
        if durable:
            os.fsync(fd)
    finally:
        os.close(fd)


def encode_records(records: list[Record | dict], *, first: bool) -> bytes:
    """The bytes that extend a list ending at its last record (or at ``[``) by ``records``.

    ``json.dumps(record, indent=4)`` indented once more is exactly how
    ``json.dumps(list, indent=4)`` lays out each element.
    """
    items = []
    for record in records:
        text = json.dumps(record.to_dict() if isinstance(record, Record) else record, indent=4, ensure_ascii=False)
        items.append("    " + text.replace("\n", "\n    "))
    lead = "\n" if first else ",\n"
    return (lead + ",\n".join(items) + "\n]").encode("utf-8")


def _tail_offset(data: bytes) -> int:
    """Offset just after the last element (or after ``[``): where the next batch goes."""
    end = len(data.rstrip())
    if end == 0 or data[end - 1:end] != b"]":
        raise ValueError("does not end with ]")
    pos = end - 1
    stripped = data[:pos].rstrip()
    return len(stripped)


def _read_records(obj: object) -> tuple[list[Record], str | None]:
    """The records of a parsed regen.json, or what is wrong with it."""
    if not isinstance(obj, list):
        return [], f"it holds a JSON {type(obj).__name__}, not a list"
    records = []
    for i, item in enumerate(obj):
        try:
            records.append(Record.from_dict(item))
        except ValueError as exc:
            return [], f"element {i} has {exc}" if "instruction" in str(exc) else f"element {i}: {exc}"
    return records, None


class RecordStore:
    """A record file (a JSON list or JSONL) plus its run state, locked for one run at a time.

    ``generate`` stores regen.json in it (:class:`RegenStore`); ``respond`` its output file.
    Both formats get the same two-inode commit: a JSONL file is appended to the spare and
    switched in the same way, so no reader ever sees half a line.
    """

    #: The flag that names the output, for messages.
    output_flag = "--output"

    def __init__(self, path: str | Path, state_dir: str | Path, *, fmt: str = "json", funnel: type[Funnel] = Funnel,
                 runs_dir: str | Path | None = None):
        if fmt not in ("json", "jsonl"):
            raise ValueError(f"unknown record file format {fmt!r}")
        self.path = Path(path)
        self.output_dir = self.path.parent
        self.format = fmt
        self.funnel = funnel
        self.state_dir = Path(state_dir)
        self.spare = self.state_dir / f"{self.path.stem}.spare{self.path.suffix}"
        self.old = self.state_dir / f"{self.path.stem}.old{self.path.suffix}"
        self.state_path = self.state_dir / "state.json"
        self.pending_path = self.state_dir / "state.pending.json"
        self.runs = RunLog(runs_dir if runs_dir is not None else self.state_dir)
        #: Where summary.json goes: beside runs.jsonl.
        self.summary_dir = self.runs.path.parent
        self._lock_fd: int | None = None
        self._tail = 0
        self.records: list[Record] = []
        self.state = RunState()
        self.recovered_state = False
        #: A run that ended without writing its runs.jsonl line, recovered on open.
        self.recovered_run: dict | None = None

    # -- opening -------------------------------------------------------------------
    def _lock(self) -> None:
        lock_path = self.state_dir / "lock"
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise BusyError(
                f"{self._what_is_busy()} is in use by another alpaca-gen run (pid {holder}); "
                f"wait for it to finish or choose another {self.output_flag}"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._lock_fd = fd

    def _what_is_busy(self) -> str:
        return str(self.path)

    def _parse(self, data: bytes) -> tuple[list[Record], str | None]:
        """The records of the file's bytes and where the next commit goes, or what is wrong."""
        if self.format == "jsonl":
            if data and not data.endswith(b"\n"):
                return [], "its last line is incomplete"
            objects = []
            try:
                for number, line in enumerate(data.decode("utf-8").split("\n"), start=1):
                    if line.strip():
                        objects.append(json.loads(line))
            except UnicodeDecodeError as exc:
                return [], f"it is not UTF-8 ({exc.reason})"
            except json.JSONDecodeError as exc:
                return [], f"line {number} is not valid JSON ({exc.msg})"
            self._tail = len(data)
            return _read_records(objects)
        try:
            records, problem = _read_records(json.loads(data.decode("utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return [], f"it is not valid JSON ({exc})"
        if problem is None:
            try:
                self._tail = _tail_offset(data)
            except ValueError:
                problem = "it does not end with ]"
        return records, problem

    def open(self) -> list[Record]:
        if self.output_dir.exists() and not self.output_dir.is_dir():
            raise UsageError(f"{self.output_flag} {self.output_dir} exists and is not a directory")
        # Read and validate before creating anything, so a bad file is left exactly as it was.
        data = None
        if self.path.exists():
            try:
                data = self.path.read_bytes()
            except OSError as exc:
                raise DataError(f"cannot read {self.path}: {exc.strerror}") from None
            records, problem = self._parse(data)
            if problem:
                raise DataError(
                    f"{self.path} cannot be resumed: {problem}. It was left unchanged; "
                    f"fix it, move it away, or choose another {self.output_flag}"
                )
            self.records = records
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot create {self.state_dir}: {exc.strerror}") from None
        self._lock()
        for leftover in (self.old, self.spare.with_name(self.spare.name + ".tmp"), self.state_path.with_name("state.json.tmp"),
                         self.pending_path.with_name("state.pending.json.tmp"), self.path.with_name(self.path.name + ".tmp")):
            leftover.unlink(missing_ok=True)
        if data is not None:
            # A fresh spare each run: the previous one may be stale or half-written.
            shutil.copyfile(self.path, self.spare)
        self._load_state()
        self._recover_run_line()
        return self.records

    def peek_state(self) -> RunState | None:
        """The run state as saved, read without locking or creating anything (for --dry_run)."""
        try:
            return RunState.from_dict(json.loads(self.state_path.read_text(encoding="utf-8")), self.funnel)
        except (OSError, ValueError):
            return None

    def _load_state(self) -> None:
        def read(path: Path) -> dict | None:
            try:
                obj = json.loads(path.read_text(encoding="utf-8"))
                return obj if isinstance(obj, dict) else None
            except (OSError, ValueError):
                return None

        count = len(self.records)
        state = read(self.state_path)
        pending = read(self.pending_path)
        if pending is not None and pending.get("records") == count and (state is None or state.get("records") != count):
            state = pending  # the crash came after the switch, before the state was promoted
            _write_atomic(self.state_path, json.dumps(state, ensure_ascii=False).encode())
        self.pending_path.unlink(missing_ok=True)
        if state is not None and state.get("records") == count:
            try:
                self.state = RunState.from_dict(state, self.funnel)
                return
            except ValueError:
                pass
        self.recovered_state = bool(count)
        self.state = RunState(records=count, next_request=self._next_request_from_records(),
                              totals=RunStats(funnel=self.funnel()))

    def _next_request_from_records(self) -> int:
        """Where to go on when the run state is lost: after the records in the file."""
        return len(self.records)

    def _recover_run_line(self) -> None:
        """A run that was killed left its numbers in the state but no line in runs.jsonl."""
        run = self.state.run
        if run is None:
            return
        if not self.runs.has(run.run_id):
            entry = run_line(run, ended=run.updated or run.started, records_after=self.state.records,
                             stopped_because="ended without a summary (killed or crashed); counts up to its last commit")
            self.runs.append(entry)
            self.recovered_run = entry
        self.state.run = None

    # -- committing ------------------------------------------------------------------
    def _encode(self, records: list[Record | dict], *, first: bool) -> bytes:
        if self.format == "jsonl":
            return b"".join((json.dumps(r.to_dict() if isinstance(r, Record) else r, ensure_ascii=False) + "\n")
                            .encode("utf-8") for r in records)
        return encode_records(records, first=first)

    def commit(self, records: list[Record | dict], state: RunState) -> None:
        """Append ``records`` and make ``state`` current, atomically as seen by readers."""
        state.records = len(self.records) + len(records)
        state_bytes = json.dumps(state.as_dict(), ensure_ascii=False).encode()
        if not records and self.path.exists():
            _write_atomic(self.state_path, state_bytes, durable=False)
            self.state = state
            return
        # fsync where a power loss could otherwise leave the file pointing at
        # unwritten data (the spare before it goes live, and the directory after);
        # the pending state and the next spare are rebuilt on open if they are lost.
        _write_atomic(self.pending_path, state_bytes, durable=False)
        payload = self._encode(records, first=not self.records)
        if not self.path.exists():
            self._create(records)
        else:
            _pwrite_tail(self.spare, self._tail, payload)
            self.old.unlink(missing_ok=True)
            os.link(self.path, self.old)
            os.replace(self.spare, self.path)
            _fsync_dir(self.output_dir)
            _pwrite_tail(self.old, self._tail, payload, durable=False)
            os.replace(self.old, self.spare)
            # A JSON list's next batch overwrites the closing "\n]"; JSONL's goes after the last line.
            self._tail += len(payload) - (2 if self.format == "json" else 0)
        os.replace(self.pending_path, self.state_path)
        self.records.extend(r if isinstance(r, Record) else Record.from_dict(r) for r in records)
        self.state = state

    def _create(self, records: list[Record]) -> None:
        if self.format == "jsonl":
            data = self._encode(records, first=True)
        else:
            data = b"[" + encode_records(records, first=True) if records else b"[]"
        _write_atomic(self.path, data)
        _fsync_dir(self.output_dir)
        shutil.copyfile(self.path, self.spare)
        self._tail = len(data) if self.format == "jsonl" else _tail_offset(data)

    def close(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> "RecordStore":
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class RegenStore(RecordStore):
    """``generate``'s regen.json in OUTPUT_DIR, its state in OUTPUT_DIR/.alpaca-gen, runs.jsonl beside it."""

    output_flag = "--output_dir"

    def __init__(self, output_dir: str | Path):
        output_dir = Path(output_dir)
        super().__init__(output_dir / REGEN_NAME, output_dir / STATE_DIR, runs_dir=output_dir)
        self.output_dir = output_dir

    def _what_is_busy(self) -> str:
        return str(self.output_dir)

    def _next_request_from_records(self) -> int:
        requests = [
            r.provenance["request"] for r in self.records
            if r.provenance is not None and isinstance(r.provenance.get("request"), int)
        ]
        return max(requests) + 1 if requests else 0


def run_line(run, *, ended: str, records_after: int, stopped_because: str) -> dict:
    """The runs.jsonl line of a run (a :class:`~alpaca_gen.state.RunInfo`)."""
    return {
        "run_id": run.run_id, "command": run.command, "started": run.started, "ended": ended,
        "stopped_because": stopped_because, "records_before": run.records_before, "records_after": records_after,
        "settings": run.settings, "stats": run.stats.as_dict(),
    }
