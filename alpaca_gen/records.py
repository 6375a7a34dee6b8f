"""Records: the instruction/input/output value every stage passes on, and its files.

A :class:`Record` is made by the parser, judged by the rules, scored by the
similarity index and stored in regen.json; ``check``, ``dedup`` (and later
``export`` and ``report``) read the same values from any Alpaca-format file:

* a JSON list (regen.json, Stanford's alpaca_data.json, any ``[{...}, ...]``);
* JSONL, one object a line;
* the self-instruct seed schema (``instances[0].input`` / ``.output``), so a seed
  file can be checked like data.

A record read from a file keeps the object it came from, so writing it back
changes only the fields a stage changed, in their original places.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable

from .errors import CannotWriteError, DataError, NoInputError, UsageError

FORMATS = ("json", "jsonl")


@dataclass(frozen=True)
class Record:
    instruction: str
    input: str = ""
    output: str = ""
    #: "en" / "ko" when known (generation, a seed's ``lang``, provenance); None means detect it.
    lang: str | None = None
    provenance: dict | None = None
    most_similar_instructions: dict | None = None
    avg_similarity_score: float | None = None
    #: The object this record was read from (None for records made here).
    source: dict | None = field(default=None, compare=False, repr=False)

    def with_fields(self, **changes) -> "Record":
        return replace(self, **changes)

    def to_dict(self) -> dict:
        """The record as stored: regen.json's layout for new records; for records read
        from a file, that object with the (possibly changed) fields written back."""
        if self.source is None:
            out = {"instruction": self.instruction, "input": self.input, "output": self.output}
            if self.most_similar_instructions is not None:
                out["most_similar_instructions"] = self.most_similar_instructions
            if self.avg_similarity_score is not None:
                out["avg_similarity_score"] = self.avg_similarity_score
            if self.provenance is not None:
                out["provenance"] = self.provenance
            return out
        out = dict(self.source)
        out["instruction"] = self.instruction
        instances = out.get("instances")
        if "output" not in out and isinstance(instances, list) and instances and isinstance(instances[0], dict):
            first = dict(instances[0], input=self.input, output=self.output)
            out["instances"] = [first, *instances[1:]]
        else:
            out["input"] = self.input
            out["output"] = self.output
        if self.provenance is not None and self.provenance is not self.source.get("provenance"):
            out["provenance"] = self.provenance  # a stage (respond) added to it
        return out

    @classmethod
    def from_dict(cls, obj: object) -> "Record":
        """A record from a stored object; raises ValueError saying what is wrong."""
        if not isinstance(obj, dict):
            raise ValueError("not a JSON object")
        instruction = obj.get("instruction")
        if not isinstance(instruction, str):
            raise ValueError("no 'instruction' string")
        task_input, output = obj.get("input"), obj.get("output")
        instances = obj.get("instances")
        if "output" not in obj and isinstance(instances, list) and instances and isinstance(instances[0], dict):
            task_input, output = instances[0].get("input"), instances[0].get("output")
        for name, value in (("input", task_input), ("output", output)):
            if value is not None and not isinstance(value, str):
                raise ValueError(f"'{name}' is a {type(value).__name__}, not a string")
        provenance = obj.get("provenance") if isinstance(obj.get("provenance"), dict) else None
        lang = obj.get("lang") if obj.get("lang") in ("en", "ko") else None
        if lang is None and provenance is not None and provenance.get("lang") in ("en", "ko"):
            lang = provenance["lang"]
        similar = obj.get("most_similar_instructions")
        score = obj.get("avg_similarity_score")
        return cls(
            instruction=instruction, input=task_input or "", output=output or "", lang=lang, provenance=provenance,
            most_similar_instructions=similar if isinstance(similar, dict) else None,
            avg_similarity_score=score if isinstance(score, (int, float)) and not isinstance(score, bool) else None,
            source=obj,
        )


@dataclass
class RecordFile:
    """Records read from one file, with where each came from (for messages)."""

    path: Path
    format: str  # "json" (a list) or "jsonl"
    records: list[Record]
    locations: list[str]


def format_for(path: str | Path) -> str:
    """The format an output path asks for: JSONL for .jsonl, a JSON list for .json."""
    suffix = Path(path).suffix.lower()
    if suffix == ".jsonl":
        return "jsonl"
    if suffix == ".json":
        return "json"
    raise UsageError(f"{path}: the file name must end in .json or .jsonl (a JSON list, or one record a line)")


@dataclass
class ObjectFile:
    """The JSON objects of a JSON list or JSONL file, before they are records."""

    path: Path
    format: str
    objects: list
    locations: list[str]


def read_text_file(path: str | Path, what: str = "input file") -> str:
    """A UTF-8 text file (a BOM is dropped); each way of failing is one user-facing error."""
    path = Path(path)
    try:
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise NoInputError(f"{what} not found: {path}") from None
    except IsADirectoryError:
        raise NoInputError(f"{what} is a directory: {path}") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise NoInputError(f"cannot read {what} {path}: {exc.strerror}") from None


def read_objects(path: str | Path) -> ObjectFile:
    """Every value of a JSON list, or every line of a JSONL file; malformed JSON is an error naming its place."""
    path = Path(path)
    text = read_text_file(path)
    if text.lstrip().startswith("["):
        try:
            objects = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno}); a JSON list or JSONL is expected") from None
        if not isinstance(objects, list):
            raise DataError(f"{path}: not a JSON list")
        return ObjectFile(path, "json", objects, [f"{path}: element {i}" for i in range(len(objects))])
    objects, locations = [], []
    for number, line in enumerate(text.split("\n"), start=1):  # not splitlines(): U+2028 may sit inside a string
        if not line.strip():
            continue
        try:
            objects.append(json.loads(line))
        except json.JSONDecodeError as exc:
            hint = " (a JSON list must start with '[')" if number == 1 and line.lstrip().startswith("{") and not line.rstrip().endswith("}") else ""
            raise DataError(f"{path}:{number}: not valid JSON ({exc.msg}); one JSON object a line is expected{hint}") from None
        locations.append(f"{path}:{number}")
    return ObjectFile(path, "jsonl", objects, locations)


def read_records(path: str | Path, *, allow_empty: bool = False) -> RecordFile:
    """Every record of a JSON list or JSONL file; a bad record is an error naming its place."""
    raw = read_objects(path)
    records = []
    for obj, where in zip(raw.objects, raw.locations):
        try:
            records.append(Record.from_dict(obj))
        except ValueError as exc:
            raise DataError(f"{where}: {exc}") from None
    if not records and not allow_empty:
        raise DataError(f"{raw.path}: no records")
    return RecordFile(raw.path, raw.format, records, raw.locations)


def encode_records(records: Iterable[Record | dict], fmt: str) -> bytes:
    """The file's bytes: a JSON list as ``json.dump(records, indent=4)`` lays it out
    (UTF-8, Korean unescaped), or one compact object a line."""
    dicts = [r.to_dict() if isinstance(r, Record) else r for r in records]
    if fmt == "jsonl":
        return "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in dicts).encode("utf-8")
    return json.dumps(dicts, indent=4, ensure_ascii=False).encode("utf-8")


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write a whole file or nothing: a temporary file beside it, fsynced, renamed over it."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise CannotWriteError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise


def write_records(path: str | Path, records: Iterable[Record | dict], fmt: str | None = None) -> None:
    """Write records atomically, in ``fmt`` (default: by the file name)."""
    write_atomic(path, encode_records(records, fmt or format_for(path)))


def check_output_path(output: str | Path, *inputs: str | Path, flag: str = "--output") -> Path:
    """An output file that can be written and is none of the inputs (inputs are never modified)."""
    out = Path(output)
    for source in inputs:
        if source and out.resolve() == Path(source).resolve():
            raise UsageError(f"{flag} must differ from the input file {source}, which is never modified")
    if out.is_dir():
        raise UsageError(f"{flag} {out} is a directory; give a file name")
    if not out.parent.is_dir():
        what = "is not a folder" if out.parent.exists() else "does not exist"
        raise UsageError(f"{flag} {out}: {out.parent} {what}")
    return out
