"""Each export format: how one record becomes one row, and how rows become a file.

| format | file | a row |
|---|---|---|
| alpaca | ``alpaca_data.json`` (a JSON list, indent 4) | instruction, input, output |
| jsonl | ``data.jsonl`` | the same, one a line |
| messages | ``messages.jsonl`` | ``{"messages": [system?, user, assistant]}`` |
| sharegpt | ``sharegpt.json`` (a JSON list) | ``{"conversations": [human, gpt], "system"?}`` |
| llama-factory | ``alpaca_data.json`` plus ``dataset_info.json`` | as alpaca |
| parquet | ``data.parquet`` | the Alpaca columns |
| sft | ``sft.parquet`` (or ``sft.jsonl``) | input_ids, labels, attention_mask |
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Callable

from ..errors import UsageError
from ..records import Record

PYARROW_EXTRA = "pip install 'alpaca-gen[export]'"


def user_text(record: Record) -> str:
    """The user turn of a chat format: the instruction, then the input after a blank line."""
    return f"{record.instruction}\n\n{record.input}" if record.input else record.instruction


def alpaca_row(record: Record, options) -> dict:
    row = {"instruction": record.instruction, "input": record.input, "output": record.output}
    if options.system:
        row["system"] = options.system
    if options.keep_provenance and record.provenance is not None:
        row["provenance"] = record.provenance
    return row


def messages_row(record: Record, options) -> dict:
    messages = [{"role": "system", "content": options.system}] if options.system else []
    messages += [{"role": "user", "content": user_text(record)}, {"role": "assistant", "content": record.output}]
    row = {"messages": messages}
    if options.keep_provenance and record.provenance is not None:
        row["provenance"] = record.provenance
    return row


def sharegpt_row(record: Record, options) -> dict:
    row = {"conversations": [{"from": "human", "value": user_text(record)}, {"from": "gpt", "value": record.output}]}
    if options.system:
        row["system"] = options.system
    if options.keep_provenance and record.provenance is not None:
        row["provenance"] = record.provenance
    return row


def json_list(rows: list[dict]) -> bytes:
    return json.dumps(rows, indent=4, ensure_ascii=False).encode("utf-8")


def json_lines(rows: list[dict]) -> bytes:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")


def parquet(rows: list[dict]) -> bytes:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise UsageError(f"parquet files need pyarrow: {PYARROW_EXTRA}") from None
    columns: dict[str, list] = {}
    for row in rows:
        for key in row:
            columns.setdefault(key, [])
    for row in rows:
        for key, values in columns.items():
            value = row.get(key)
            values.append(json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else value)
    table = pa.table(columns) if rows else pa.table({"instruction": pa.array([], pa.string())})
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def table_parquet(table) -> bytes:
    """The sft features (a pyarrow table) as parquet."""
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def table_lines(table) -> bytes:
    """The sft features as JSONL, one record a line."""
    return json_lines(table.to_pylist())


@dataclass(frozen=True)
class Format:
    name: str
    base: str  # file name without its extension
    extension: str
    row: Callable | None  # record -> row (None for sft, whose rows are features in a pyarrow table)
    encode: Callable[..., bytes]  # rows (or, for sft, a table) -> the file's bytes
    loads_as: str  # the datasets builder that reads it: json or parquet


FORMATS = {
    "alpaca": Format("alpaca", "alpaca_data", "json", alpaca_row, json_list, "json"),
    "jsonl": Format("jsonl", "data", "jsonl", alpaca_row, json_lines, "json"),
    "messages": Format("messages", "messages", "jsonl", messages_row, json_lines, "json"),
    "sharegpt": Format("sharegpt", "sharegpt", "json", sharegpt_row, json_list, "json"),
    "llama-factory": Format("llama-factory", "alpaca_data", "json", alpaca_row, json_list, "json"),
    "parquet": Format("parquet", "data", "parquet", alpaca_row, parquet, "parquet"),
    "sft": Format("sft", "sft", "parquet", None, table_parquet, "parquet"),
}
SFT_JSONL = Format("sft", "sft", "jsonl", None, table_lines, "json")


def llama_factory_info(name: str, files: dict[str, str], system: bool) -> dict:
    """dataset_info.json: one entry per split (the first under ``name``), Alpaca columns."""
    columns = {"prompt": "instruction", "query": "input", "response": "output"}
    if system:
        columns["system"] = "system"
    info = {}
    for position, (split, file_name) in enumerate(files.items()):
        info[name if position == 0 else f"{name}_{split}"] = {"file_name": file_name, "columns": dict(columns)}
    return info
