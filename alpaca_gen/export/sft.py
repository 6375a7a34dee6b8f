"""Training features, the way Stanford Alpaca's train.py makes them.

For each record: the prompt (its template, with or without input), the target (the
output followed by the tokenizer's end-of-sequence token, as text), the prompt and
prompt + target tokenized separately with truncation at ``max_length``, and labels
equal to the input ids with the prompt's positions set to ``IGNORE_INDEX`` (-100), so
the loss is on the answer only (``train_on_input`` keeps the prompt in the loss). No
padding: a collator pads a batch (labels with -100).

A record whose whole target was cut off by the truncation has no label to learn from
(train.py would keep it, every label -100); it is dropped and counted.

The tokenizer is a Hugging Face ``tokenizer.json`` read with the ``tokenizers``
library (``transformers`` is not needed): a file, or a model folder holding one
(its ``tokenizer_config.json`` names the end-of-sequence token).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError, NoInputError, UsageError
from .templates import PromptTemplate

IGNORE_INDEX = -100
#: End-of-sequence tokens of common tokenizers, tried when none is named.
KNOWN_EOS = ("</s>", "<|endoftext|>", "<|im_end|>", "<|end_of_text|>", "<eos>", "<|eot_id|>", "[SEP]")
EXPORT_EXTRA = "pip install 'alpaca-gen[export]'"


@dataclass
class SftTokenizer:
    tokenizer: object  # tokenizers.Tokenizer, truncation off
    eos_token: str
    source: str


def _tokenizers_module():
    try:
        import tokenizers
    except ImportError:
        raise UsageError(f"--format sft needs the tokenizers library: {EXPORT_EXTRA}") from None
    return tokenizers


def load_tokenizer(path: str, eos_token: str | None = None) -> SftTokenizer:
    """A tokenizer.json file, or a model folder with one; the EOS token from --eos_token,
    the folder's tokenizer_config.json, or the first known one the vocabulary has."""
    tokenizers = _tokenizers_module()
    where = Path(path)
    if not where.exists():
        raise NoInputError(f"tokenizer not found: {path}")
    file = where / "tokenizer.json" if where.is_dir() else where
    if not file.is_file():
        raise NoInputError(f"{path}: no tokenizer.json in this folder (a fast tokenizer is needed; "
                           "transformers' AutoTokenizer.from_pretrained(...).save_pretrained(...) writes one)")
    try:
        tokenizer = tokenizers.Tokenizer.from_file(str(file))
    except Exception as exc:  # the library raises its own exception types for a bad file
        raise DataError(f"{file}: not a tokenizer.json the tokenizers library can read ({str(exc)[:200]})") from None
    tokenizer.no_truncation()
    tokenizer.no_padding()
    if eos_token is None and where.is_dir() and (where / "tokenizer_config.json").is_file():
        try:
            config = json.loads((where / "tokenizer_config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            config = {}
        named = config.get("eos_token")
        eos_token = named.get("content") if isinstance(named, dict) else named if isinstance(named, str) else None
    if eos_token is None:
        vocab = tokenizer.get_vocab()
        eos_token = next((token for token in KNOWN_EOS if token in vocab), None)
        if eos_token is None:
            raise UsageError(f"{path}: no end-of-sequence token found; name it with --eos_token")
    elif tokenizer.token_to_id(eos_token) is None:
        raise UsageError(f"--eos_token {eos_token!r} is not in the vocabulary of {file}")
    return SftTokenizer(tokenizer, eos_token, str(file))


@dataclass
class SftCounts:
    records: int = 0
    truncated: int = 0  # prompt + target longer than max_length
    target_lost: int = 0  # the whole target cut off: dropped


#: Records tokenized at once: the tokenizer's encodings are large, the features are not.
CHUNK = 2048


def sft_features(prompts: list[str], outputs: list[str], tok: SftTokenizer, *, max_length: int,
                 train_on_input: bool):
    """The features of every record whose target survives truncation, as a pyarrow table
    (input_ids, labels, attention_mask: lists of int32), the positions of the records kept,
    and the counts. Built chunk by chunk into flat arrays, so 52,000 records stay far below
    the memory their Python lists would take."""
    import numpy as np

    pa = _pyarrow()
    tokenizer = tok.tokenizer
    counts = SftCounts(records=len(prompts))
    ids_parts, label_parts, lengths, kept = [], [], [], []
    for start in range(0, len(prompts), CHUNK):
        chunk_prompts = prompts[start: start + CHUNK]
        texts = [f"{prompt}{output}{tok.eos_token}" for prompt, output in zip(chunk_prompts, outputs[start: start + CHUNK])]
        whole_lengths = [len(e.ids) for e in tokenizer.encode_batch(texts)]
        tokenizer.enable_truncation(max_length=max_length)
        try:
            sources = [len(e.ids) for e in tokenizer.encode_batch(chunk_prompts)]
            cut = [e.ids for e in tokenizer.encode_batch(texts)]
        finally:
            tokenizer.no_truncation()
        for offset, (source_len, ids, whole) in enumerate(zip(sources, cut, whole_lengths)):
            counts.truncated += whole > max_length
            if source_len >= len(ids):
                counts.target_lost += 1
                continue
            array = np.asarray(ids, dtype=np.int32)
            labels = array.copy()
            if not train_on_input:
                labels[:source_len] = IGNORE_INDEX
            ids_parts.append(array)
            label_parts.append(labels)
            lengths.append(len(ids))
            kept.append(start + offset)
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    flat_ids = np.concatenate(ids_parts) if ids_parts else np.zeros(0, dtype=np.int32)
    flat_labels = np.concatenate(label_parts) if label_parts else np.zeros(0, dtype=np.int32)
    offsets_array = pa.array(offsets, type=pa.int64())

    def column(values):
        return pa.LargeListArray.from_arrays(offsets_array, pa.array(values, type=pa.int32()))

    table = pa.table({"input_ids": column(flat_ids), "labels": column(flat_labels),
                      "attention_mask": column(np.ones(len(flat_ids), dtype=np.int32))})
    return table, kept, counts


def _pyarrow():
    try:
        import pyarrow
    except ImportError:
        raise UsageError(f"--format sft needs pyarrow: {EXPORT_EXTRA}") from None
    return pyarrow


def render_prompts(records, templates: dict[str, PromptTemplate], langs: list[str]) -> list[str]:
    return [templates[lang].render(record.instruction, record.input) for record, lang in zip(records, langs)]
