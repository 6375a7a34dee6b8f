"""Characters no text should hold: controls, broken Unicode, and Hangul syllables no Korean writes."""
from __future__ import annotations

import re

from ..records import Record
from .base import Finding, QualityContext, excerpt

# C0 and C1 controls (tab, newline and carriage return are text), DEL.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# The same, plus the replacement character, lone surrogates and noncharacters: one pass per field.
_BAD_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd\ufffe\uffff\ud800-\udfff]")
# UTF-8 read as Latin-1 / cp1252: "Ã©", "â€™", and Korean as "ì•ˆë…•".
_MOJIBAKE = re.compile("[ÃÂâêëìí][\u00a0-\u00bf\u2013-\u203a\u20ac\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2122]")


def control_characters(record: Record, ctx: QualityContext):
    for name in ("instruction", "input", "output"):
        text = getattr(record, name)
        match = _BAD_CHARACTER.search(text)
        if match is None and not text.isascii():
            match = _MOJIBAKE.search(text)
        if match is None:
            continue
        if _CONTROL.match(match.group()):
            return Finding("control_characters", name, "drop", f"U+{ord(match.group()):04X}")
        return Finding("broken_unicode", name, "drop", excerpt(text, max(0, match.start() - 10), 30))
    return None


def _ks_x_1001_complement() -> re.Pattern:
    """The Hangul syllables outside KS X 1001's 2,350, as one character class.

    Modern Korean is written with those 2,350 (they are what EUC-KR encodes in two
    bytes); a small model assembling syllables jamo by jamo writes the other 8,822.
    힣, the last syllable, is left out: it is written in ranges such as [가-힣]."""
    rare = [c for c in range(0xAC00, 0xD7A4) if len(chr(c).encode("euc_kr")) != 2 and chr(c) != "힣"]
    ranges, start, prev = [], rare[0], rare[0]
    for code in rare[1:]:
        if code != prev + 1:
            ranges.append((start, prev))
            start = code
        prev = code
    ranges.append((start, prev))
    return re.compile("[" + "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in ranges) + "]")


_RARE_HANGUL = _ks_x_1001_complement()


def garbled_hangul(record: Record, ctx: QualityContext):
    for name in ("instruction", "input", "output"):
        text = getattr(record, name)
        if text.isascii():
            continue
        match = _RARE_HANGUL.search(text)
        if match:
            return Finding("garbled_hangul", name, "drop", excerpt(text, max(0, match.start() - 10), 30))
    return None
