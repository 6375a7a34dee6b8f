"""What every quality rule shares: its finding, its context, and a few text helpers."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from ..records import Record

if TYPE_CHECKING:
    from .prompt_leak import PromptWindows


@dataclass(frozen=True)
class Finding:
    reason: str
    field: str  # instruction, input or output
    action: str  # "drop" or "fix"
    excerpt: str = ""


@dataclass
class QualityContext:
    """What rules need besides the record: its language and the prompt texts to look for.

    ``lang`` is "en", "ko", or "other" (a script neither: only the rules that do not
    depend on a language apply)."""

    lang: str
    prompt_windows: "PromptWindows | None" = None

    @classmethod
    def for_prompts(cls, lang: str, prompt_texts: list[str]) -> "QualityContext":
        from .prompt_leak import PromptWindows

        return cls(lang, PromptWindows.of(prompt_texts) if prompt_texts else None)


#: A rule: the record (fixes already applied) -> a fixed record and its finding, a drop, or nothing.
RuleFunction = Callable[[Record, QualityContext], "tuple[Record, Finding] | Finding | None"]


@dataclass(frozen=True)
class QualityRule:
    reason: str
    action: str  # "fix" or "drop"
    langs: tuple[str, ...]
    rationale: str
    apply: RuleFunction


def excerpt(text: str, start: int = 0, width: int = 60) -> str:
    piece = text[max(0, start): start + width].replace("\n", "\\n")
    return piece + ("…" if len(text) > start + width else "")


FENCED_CODE = re.compile(r"```.*?(?:```|$)", re.S)
INLINE_CODE = re.compile(r"`[^`\n]+`")
URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"')\]]+")
WORD = re.compile(r"[^\W_]+")


def strip_code(text: str) -> str:
    """The text with code blocks and inline code set aside (code repeats and mixes scripts by nature)."""
    if "`" not in text:
        return text
    return INLINE_CODE.sub(" ", FENCED_CODE.sub(" ", text))
