"""Where the shipped prompts and seed tasks are.

In a wheel they sit in ``alpaca_gen/_data`` (see pyproject's force-include); in a
source checkout they are at the repository root, one level above the package.
"""
from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_path(name: str) -> Path:
    for base in (_PACKAGE / "_data", _PACKAGE.parent):
        candidate = base / name
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"alpaca-gen is missing its bundled {name!r}; reinstall the package")


def default_seed_tasks_path() -> Path:
    return data_path("seed_tasks.jsonl")


def prompt_path(lang: str) -> Path:
    return data_path("prompts") / f"{lang}.txt"
