"""Our own prompt quoted in a record: the model copied its instructions instead of following them."""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..records import Record
from ..text import hangul_share
from .base import Finding, QualityContext

#: Characters in a row that count as quoting a prompt line: 30 for a Latin line (five or
#: six words), 16 for a Hangul line (four or five eojeol: each syllable carries more).
LEAK_RUN = {"latin": 30, "hangul": 16}


def _normalized(text: str) -> str:
    # Lower case only: splitting on Unicode spaces would cost more than the whole look-up,
    # and models copy a prompt's spacing as they copy its words.
    return text.lower()


@dataclass(frozen=True)
class PromptWindows:
    """Every run of LEAK_RUN characters of the prompt lines (in lower case), at every offset.

    A field quoting 2·n−1 characters of a prompt line holds a whole run of n starting
    at a multiple of n in the field, so the field is read at a stride of n: a few set
    look-ups per field, no tokenizing and no search at every position. A copy whose
    numbers changed ("과제 21개" for "과제 20개") still matches on the runs without them."""

    latin: frozenset
    hangul: frozenset

    @classmethod
    def of(cls, texts: list[str]) -> "PromptWindows":
        found: dict[str, set] = {"latin": set(), "hangul": set()}
        for text in texts:
            for line in text.splitlines():
                kind = "hangul" if hangul_share(line) >= 0.5 else "latin"
                size = LEAK_RUN[kind]
                line = _normalized(line)
                found[kind].update(line[i: i + size] for i in range(len(line) - size + 1))
        return cls(frozenset(found["latin"]), frozenset(found["hangul"]))

    def find(self, text: str) -> str | None:
        text = _normalized(text)
        kinds = [(self.latin, LEAK_RUN["latin"])]
        if not text.isascii():  # Korean prompt lines can only be quoted in Hangul
            kinds.append((self.hangul, LEAK_RUN["hangul"]))
        for windows, size in kinds:
            for start in range(0, len(text) - size + 1, size):
                if text[start: start + size] in windows:
                    return text[start: start + size]
        return None


# Our chat prompt describes the format with a literal N: "N. Instruction:", "N. Input:", "N. Output:".
_FORMAT_DESCRIPTION = re.compile(r"\bN\.\s*(?:Instruction|Input|Output)\s*:")


def prompt_leak(record: Record, ctx: QualityContext):
    for name in ("output", "input", "instruction"):
        text = getattr(record, name)
        if "N." in text:
            match = _FORMAT_DESCRIPTION.search(text)
            if match:
                return Finding("prompt_leak", name, "drop", match.group())
    if ctx.prompt_windows is None:
        return None
    # The three fields read as one text, joined by a character no prompt has, so no run
    # crosses from one field into the next: one pass instead of three.
    text = f"{record.output} \x00 {record.input} \x00 {record.instruction}"
    found = ctx.prompt_windows.find(text)
    if found:
        field = next((name for name in ("output", "input", "instruction")
                      if ctx.prompt_windows.find(getattr(record, name)) == found), "output")
        return Finding("prompt_leak", field, "drop", found)
    return None
