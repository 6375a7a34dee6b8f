"""An answer in the language of the task: a Korean run never keeps English answers."""
from __future__ import annotations

import re

from ..records import Record
from .base import URL, WORD, Finding, QualityContext, excerpt, strip_code

# A Korean task may rightly be answered in another language or in code: a translation or
# a text written in a named language ("영어로 써 주세요"), or code. Naming a language is
# not enough ("독일어 문법 팁을 알려 주세요" wants a Korean answer).
_ASKS_FOR_OTHER_TEXT_KO = re.compile(
    r"(?i)번역|영작|영문|로마자|알파벳|스펠링|영단어|약어|이니셜"
    r"|(?:영어|일본어|중국어|한자|스페인어|프랑스어|독일어|외국어|러시아어|베트남어|태국어)\s*(?:로|으로|로만|단어|표현|문장)"
    r"|코드|코딩|함수|쿼리|SQL|정규\s*(?:표현)?식|스크립트|HTML|CSS|JSON|XML|YAML|CSV|마크다운|LaTeX|수식"
    r"|명령어|Python|파이썬|자바|Java|C\+\+"
)
_ASKS_FOR_OTHER_TEXT_EN = re.compile(
    r"(?i)translat|korean|chinese|japanese|hangul|hanja|kanji|mandarin|cantonese|russian|arabic|hindi|thai|greek|script|"
    r"in\s+(?:the\s+)?(?:original|native)\s+language|foreign"
)
_HANGUL = re.compile("[\uac00-\ud7a3]")
_LATIN_LETTER = re.compile("[A-Za-z]")
_LATIN_WORD = re.compile(r"^[A-Za-z][A-Za-z'’\-]*$")

#: Under this share of Korean words, a Korean task's answer is not Korean.
KO_MIN_OUTPUT_WORD_SHARE = 0.5


def korean_word_share(text: str) -> float | None:
    """Share of Korean words among Korean and Latin words, code and URLs set aside;
    None when there are fewer than four such words (a short answer says nothing).
    Words, not letters: a Latin technical term (API, Python) is one word among many,
    and with its particle attached (API를) it counts as Korean."""
    text = URL.sub(" ", strip_code(text))
    korean = latin = 0
    for word in WORD.findall(text):
        if _HANGUL.search(word):
            korean += 1
        elif _LATIN_WORD.match(word):
            latin += 1
    if korean + latin < 4:
        return None
    return korean / (korean + latin)


def output_language(record: Record, ctx: QualityContext):
    output = record.output
    if ctx.lang == "ko":
        if not _LATIN_LETTER.search(output):
            return None  # no Latin letters at all: nothing to be English
        share = korean_word_share(output)
        if share is None or share >= KO_MIN_OUTPUT_WORD_SHARE:
            return None
        if _ASKS_FOR_OTHER_TEXT_KO.search(record.instruction):
            return None  # translation, code, or a text in another language was asked for
        input_share = korean_word_share(record.input) if record.input else None
        if input_share is not None and input_share < KO_MIN_OUTPUT_WORD_SHARE:
            return None  # working on a foreign-language input (proofreading, extracting) answers in its language
        return Finding("output_not_korean", "output", "drop", excerpt(output))
    if ctx.lang == "en" and not output.isascii():
        words = WORD.findall(URL.sub(" ", strip_code(output)))
        foreign = sum(1 for word in words if not word.isascii())
        if len(words) >= 4 and foreign * 2 > len(words) and not _ASKS_FOR_OTHER_TEXT_EN.search(record.instruction + " " + record.input):
            return Finding("output_not_english", "output", "drop", excerpt(output))
    return None
