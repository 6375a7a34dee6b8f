"""alpaca-gen: Stanford-Alpaca-style self-instruct data generation, in English and Korean.

The public API, re-exported here lazily (so ``alpaca-gen --help`` and Ctrl-C during
start-up do not wait for the openai client to import); the ``alpaca-gen`` command
is a thin shell over it.
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "AlpacaGenError": "errors",
    "Record": "records",
    "read_records": "records",
    "write_records": "records",
    "drop_reason": "filters",
    "judge": "quality",
    "QualityContext": "quality",
    "RecordGate": "gate",
    "check_file": "check",
    "export_file": "export",
    "parse_completion": "parse",
    "decode_response": "answers",
    "AnswerSource": "answers",
    "RoundResult": "answers",
    "RequestClient": "client",
    "Endpoint": "client",
    "Funnel": "funnel",
    "RunState": "state",
    "RunStats": "state",
    "GenerateConfig": "config",
    "RequestOptions": "config",
    "Generator": "pipeline",
    "generate": "pipeline",
    "load_template": "prompts",
    "render_chat_prompt": "prompts",
    "render_completion_prompt": "prompts",
    "SeedTask": "seeds",
    "load_seed_tasks": "seeds",
    "NearDuplicateIndex": "similarity",
    "rouge_l_f1": "similarity",
    "RegenStore": "store",
    "Tokenizer": "tokenizers",
    "get_tokenizer": "tokenizers",
    "tokenizer_for": "tokenizers",
    "dedup_file": "dedup",
    "check_seed_file": "seedcheck",
}
__all__ = sorted(_EXPORTS)
__version__ = "0.1.0"


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'alpaca_gen' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
