"""A judge's verdict, read from its text; two orders combined into one outcome.

The judge prompt (prompts/judge.en.txt, prompts/judge.ko.txt) asks for reasoning,
then a last line holding ``[[1]]``, ``[[2]]`` or ``[[tie]]``. The last such mark in
the text counts (a judge may quote the format while reasoning); ``[[무승부]]`` and
``[[Tie]]`` are read as a tie. A text with no mark is unparsed.

Each item is judged twice, with the answers in both orders (MT-Bench's position
swap). Consistent verdicts count; verdicts that disagree are a tie, as a judge that
changes its mind with the order has no preference that survives it.
"""
from __future__ import annotations

import re

_MARK = re.compile(r"\[\[\s*(1|2|tie|무승부|동점)\s*\]\]", re.I)

#: What one order's verdict says, per side of the pair: "a", "b", "tie", or None (unparsed).
Verdict = str | None


def parse_verdict(text: str) -> str | None:
    """"1", "2" or "tie" from a judge's text; None when it holds no verdict mark."""
    marks = _MARK.findall(text or "")
    if not marks:
        return None
    mark = marks[-1].lower()
    return mark if mark in ("1", "2") else "tie"


def side(mark: str | None, order: str) -> Verdict:
    """The mark of one order as the side it favours: ``order`` "ab" shows A as answer 1."""
    if mark is None:
        return None
    if mark == "tie":
        return "tie"
    first, second = ("a", "b") if order == "ab" else ("b", "a")
    return first if mark == "1" else second


def combine(ab: Verdict, ba: Verdict) -> tuple[str, bool]:
    """(outcome, consistent): "a", "b", "tie", or "unparsed" when either order has no verdict."""
    if ab is None or ba is None:
        return "unparsed", False
    if ab == ba:
        return ab, True
    return "tie", False
