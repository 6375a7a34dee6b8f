"""Small script-level text helpers shared by filters, tokenizers and the seed checker."""
from __future__ import annotations

import re

# Hangul syllables plus compatibility jamo (ㅋㅋ, ㅠㅠ): what a Korean reader sees as Korean letters.
HANGUL = "\uac00-\ud7a3\u3131-\u318e"
_HANGUL_RE = re.compile(f"[{HANGUL}]")
_LATIN_RE = re.compile(r"[A-Za-z]")
_LETTER_RE = re.compile(r"[^\W\d_]")


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 request``, ``2 requests``: a count and its noun (``many`` where the plural is not word + s)."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def hangul_share(text: str) -> float:
    """Share of Hangul among all letters (digits, punctuation and spaces ignored).

    ``str.isalpha`` is True for Hangul and Han alike, so an "English ratio" must
    count scripts explicitly; this counts Hangul against every other letter.
    """
    letters = _LETTER_RE.findall(text)
    if not letters:
        return 0.0
    hangul = sum(1 for ch in letters if _HANGUL_RE.match(ch))
    return hangul / len(letters)


def latin_share(text: str) -> float:
    letters = _LETTER_RE.findall(text)
    if not letters:
        return 0.0
    return sum(1 for ch in letters if _LATIN_RE.match(ch)) / len(letters)


def detect_lang(text: str) -> str | None:
    """'ko' when the text is mainly Hangul, 'en' when mainly Latin, else None."""
    if hangul_share(text) >= 0.5:
        return "ko"
    if latin_share(text) >= 0.5:
        return "en"
    return None


def normalize_space(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
