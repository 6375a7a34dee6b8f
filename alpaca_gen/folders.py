"""Output folders that are whole at every instant (export, report).

A command builds its folder under a temporary name beside the target and renames
it into place when everything is written, so a reader never sees half a folder
and a failure leaves the earlier one as it was.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from .errors import CannotWriteError


def temp_folder_beside(target: Path, tag: str) -> Path:
    """A new empty folder next to ``target`` (a stale one of this process is removed first)."""
    tmp = target.with_name(f".{target.name}.{tag}-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir()
    except OSError as exc:
        raise CannotWriteError(f"cannot write in {target.parent}: {exc.strerror or exc}") from None
    return tmp


def swap_into_place(tmp: Path, target: Path) -> None:
    """The finished folder replaces the target in one rename (the old one is removed after)."""
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        os.replace(target, old)
    os.replace(tmp, target)
    shutil.rmtree(old, ignore_errors=True)
