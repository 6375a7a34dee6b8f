"""Our own prompt quoted in a record: the model copied its instructions instead of following them."""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..records import Record
from ..text import hangul_share
from .base import Finding, QualityContext

#: Words in a row that count as quoting a prompt line: 7 English words, 5 Korean eojeol
#: (a Korean word carries its particles, so it says more).
LEAK_RUN = {"latin": 7, "hangul": 5}
_WORD_EDGES = "0123456789.,;:!?\"'()[]{}<>“”‘’「」『』*#-–—~/\\"


def _words(text: str) -> list[str]:
    """Words without digits and punctuation at their edges: numbers and quotes change when prompts leak."""
    return [w for w in (word.strip(_WORD_EDGES) for word in text.lower().split()) if w]


@dataclass(frozen=True)
class PromptWindows:
    """Every run of LEAK_RUN words of the prompt texts, at every offset.

    A field quoting 2·n−1 words of a prompt line in a row holds a whole run of n
    words starting at a multiple of n in the field, so the field is read at a stride
    of n: a few set look-ups per field instead of a search at every position."""

    latin: frozenset
    hangul: frozenset

    @classmethod
    def of(cls, texts: list[str]) -> "PromptWindows":
        found: dict[str, set] = {"latin": set(), "hangul": set()}
        for text in texts:
            for line in text.splitlines():
                kind = "hangul" if hangul_share(line) >= 0.5 else "latin"
                size = LEAK_RUN[kind]
                words = _words(line)
                found[kind].update(tuple(words[i: i + size]) for i in range(len(words) - size + 1))
        return cls(frozenset(found["latin"]), frozenset(found["hangul"]))

    def find(self, text: str) -> str | None:
        words = _words(text)
        for windows, size in ((self.hangul, LEAK_RUN["hangul"]), (self.latin, LEAK_RUN["latin"])):
            if windows and len(words) >= size:
                for start in range(0, len(words) - size + 1, size):
                    run = tuple(words[start: start + size])
                    if run in windows:
                        return " ".join(run)
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
    for name in ("output", "input", "instruction"):
        text = getattr(record, name)
        if text.count(" ") >= LEAK_RUN["hangul"] - 1:
            found = ctx.prompt_windows.find(text)
            if found:
                return Finding("prompt_leak", name, "drop", found)
    return None
