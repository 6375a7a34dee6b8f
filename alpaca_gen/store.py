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

Run state (next request number, counters, seed) sits in ``.alpaca-gen/state.json``
and is committed with the same batch: written as ``state.pending.json`` first and
promoted after the switch, so a crash between the two is resolved on the next open
by comparing record counts.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
from pathlib import Path

from .errors import BusyError, DataError, UsageError

REGEN_NAME = "regen.json"
STATE_DIR = ".alpaca-gen"
STATE_VERSION = 1


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


def encode_records(records: list[dict], *, first: bool) -> bytes:
    """The bytes that extend a list ending at its last record (or at ``[``) by ``records``.

    ``json.dumps(record, indent=4)`` indented once more is exactly how
    ``json.dumps(list, indent=4)`` lays out each element.
    """
    items = []
    for record in records:
        text = json.dumps(record, indent=4, ensure_ascii=False)
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


def _validate_records(obj: object) -> str | None:
    if not isinstance(obj, list):
        return f"it holds a JSON {type(obj).__name__}, not a list"
    for i, record in enumerate(obj):
        if not isinstance(record, dict):
            return f"element {i} is not an object"
        if not isinstance(record.get("instruction"), str):
            return f"element {i} has no 'instruction' string"
    return None


class RegenStore:
    """regen.json plus its run state, locked for one run at a time."""

    def __init__(self, output_dir: str | Path):
        self.output_dir = Path(output_dir)
        self.path = self.output_dir / REGEN_NAME
        self.state_dir = self.output_dir / STATE_DIR
        self.spare = self.state_dir / "regen.spare.json"
        self.old = self.state_dir / "regen.old.json"
        self.state_path = self.state_dir / "state.json"
        self.pending_path = self.state_dir / "state.pending.json"
        self._lock_fd: int | None = None
        self._tail = 0
        self.records: list[dict] = []
        self.state: dict = {}
        self.recovered_state = False

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
                f"{self.output_dir} is in use by another alpaca-gen run (pid {holder}); "
                "wait for it to finish or choose another --output_dir"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._lock_fd = fd

    def open(self) -> list[dict]:
        if self.output_dir.exists() and not self.output_dir.is_dir():
            raise UsageError(f"--output_dir {self.output_dir} exists and is not a directory")
        # Read and validate before creating anything, so a bad file is left exactly as it was.
        data = None
        if self.path.exists():
            try:
                data = self.path.read_bytes()
            except OSError as exc:
                raise DataError(f"cannot read {self.path}: {exc.strerror}") from None
            problem = None
            try:
                obj = json.loads(data.decode("utf-8"))
                problem = _validate_records(obj)
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                problem = f"it is not valid JSON ({exc})"
            if problem is None:
                try:
                    self._tail = _tail_offset(data)
                except ValueError:
                    problem = "it does not end with ]"
            if problem:
                raise DataError(
                    f"{self.path} cannot be resumed: {problem}. It was left unchanged; "
                    "fix it, move it away, or choose another --output_dir"
                )
            self.records = obj
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot create {self.state_dir}: {exc.strerror}") from None
        self._lock()
        for leftover in (self.old, self.spare.with_name(self.spare.name + ".tmp"), self.state_path.with_name("state.json.tmp"),
                         self.pending_path.with_name("state.pending.json.tmp"), self.path.with_name(REGEN_NAME + ".tmp")):
            leftover.unlink(missing_ok=True)
        if data is not None:
            # A fresh spare each run: the previous one may be stale or half-written.
            shutil.copyfile(self.path, self.spare)
        self._load_state()
        return self.records

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
        if state is not None and state.get("records") == count and state.get("version") == STATE_VERSION:
            self.state = state
            return
        self.recovered_state = bool(count)
        requests = [
            r.get("provenance", {}).get("request")
            for r in self.records
            if isinstance(r.get("provenance"), dict) and isinstance(r["provenance"].get("request"), int)
        ]
        self.state = {"version": STATE_VERSION, "records": count, "next_request": max(requests) + 1 if requests else 0}

    # -- committing ------------------------------------------------------------------
    def commit(self, records: list[dict], state: dict) -> None:
        """Append ``records`` and make ``state`` current, atomically as seen by readers."""
        state = dict(state, version=STATE_VERSION, records=len(self.records) + len(records))
        state_bytes = json.dumps(state, ensure_ascii=False).encode()
        if not records and self.path.exists():
            _write_atomic(self.state_path, state_bytes, durable=False)
            self.state = state
            return
        # fsync where a power loss could otherwise leave regen.json pointing at
        # unwritten data (the spare before it goes live, and the directory after);
        # the pending state and the next spare are rebuilt on open if they are lost.
        _write_atomic(self.pending_path, state_bytes, durable=False)
        payload = encode_records(records, first=not self.records)
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
            self._tail += len(payload) - 2  # the next batch overwrites the closing "\n]"
        os.replace(self.pending_path, self.state_path)
        self.records.extend(records)
        self.state = state

    def _create(self, records: list[dict]) -> None:
        data = b"[" + encode_records(records, first=True) if records else b"[]"
        _write_atomic(self.path, data)
        _fsync_dir(self.output_dir)
        shutil.copyfile(self.path, self.spare)
        self._tail = _tail_offset(data)

    def close(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> "RegenStore":
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()
