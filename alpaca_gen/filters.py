"""Field rules: per-language rules on the instruction, each with a reason name.

These are the generation filters of Stanford's script (the quality rules of
:mod:`alpaca_gen.quality` then read all three fields).

English keeps Stanford Alpaca's rules as they were. Korean cannot: Alpaca's
"first character must be ASCII" rule drops every Korean instruction, whitespace
word counts are small in Korean (particles attach to words), and ``\\b`` never
separates a noun from its particle (이미지를). The Korean rules count characters,
match blacklisted words with particles attached but not inside longer words, and
require the instruction to be mainly Hangul.
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Callable

from .records import Record
from .text import HANGUL, hangul_share

# --- English (Stanford Alpaca's post_process_gpt3_response, same order) ------------
EN_BLACKLIST = (
    "image", "images", "graph", "graphs", "picture", "pictures", "file", "files",
    "map", "maps", "draw", "plot", "go to", "video", "audio", "music", "flowchart", "diagram",
)
_EN_BLACKLIST_RE = re.compile(r"\b(" + "|".join(re.escape(w) for w in EN_BLACKLIST) + r")\b", re.I)


def _en_too_short(inst: str) -> bool:
    return len(inst.split()) <= 3


def _en_too_long(inst: str) -> bool:
    return len(inst.split()) > 150


def _en_blacklisted(inst: str) -> bool:
    return bool(_EN_BLACKLIST_RE.search(inst))


def _en_write_a_program(inst: str) -> bool:
    return inst.startswith("Write a program")


def _starts_with_punctuation(inst: str) -> bool:
    return inst[0] in string.punctuation


def _starts_with_non_ascii(inst: str) -> bool:
    return not inst[0].isascii()


# --- Korean --------------------------------------------------------------------------
KO_MIN_CHARS = 8  # letters and digits; "다음 글을 요약하세요" has 8
KO_MAX_CHARS = 500
KO_MIN_HANGUL_SHARE = 0.5

KO_BLACKLIST = (
    "이미지", "사진", "그림", "그래프", "차트", "도표", "파일", "지도", "동영상", "영상",
    "비디오", "오디오", "음악", "순서도", "흐름도", "플로우차트", "다이어그램", "녹음",
)
# Particles (and their common stacks: 에서는, 으로도) that may follow a blacklisted noun.
_PARTICLES = (
    "으로써|으로서|이라는|이라고|에서는|에게는|으로는|로써|로서|라는|라고|이랑|이나|이며|이고|"
    "에서|에게|한테|께서|처럼|까지|부터|보다|마다|조차|으로|하고|"
    "을|를|이|가|은|는|에|께|로|와|과|의|도|만|나|랑|며|고|란"
)
_H = f"[{HANGUL}]"
_KO_BLACKLIST_RE = re.compile(
    rf"(?<!{_H})(?:{'|'.join(KO_BLACKLIST)})(?:들)?(?:{_PARTICLES}){{0,2}}(?!{_H})"
    # draw: 그려(줘/주세요/서...), 그리세요, 그리기 — but not 그리고 (and), 그리스, 그리움.
    rf"|(?<!{_H})그려{_H}*|(?<!{_H})그리(?:세요|시오|십시오|기|다|는|면|게|려고|려면){_H}*"
)
# Korean puts the verb last: "...하는 프로그램을 작성하세요" is "Write a program that ...".
_KO_PROGRAM_RE = re.compile(r"(\S*)\s*프로그램(?:을|를)?\s*(?:작성|만들|만드|짜|코딩|개발)")
# Programs that are not software: 운동 프로그램을 짜 주세요 is a workout plan, which
# English keeps too ("Design a workout program ..." passes the "Write a program" rule).
_KO_NON_SOFTWARE = ("운동", "교육", "훈련", "방송", "여행", "재활", "다이어트", "행사", "축제", "연수", "봉사", "체험", "tv", "예능", "라디오")

# Opening quotes and brackets start legitimate Korean instructions ('"사랑"으로 삼행시를 지으세요').
_KO_ALLOWED_OPENERS = "\"'“‘「『(〈《["
_LETTER_OR_DIGIT = re.compile(r"[^\W_]")


def _ko_letters(inst: str) -> int:
    return len(_LETTER_OR_DIGIT.findall(inst))


def _ko_too_short(inst: str) -> bool:
    return _ko_letters(inst) < KO_MIN_CHARS


def _ko_too_long(inst: str) -> bool:
    return _ko_letters(inst) > KO_MAX_CHARS


def _ko_blacklisted(inst: str) -> bool:
    return bool(_KO_BLACKLIST_RE.search(inst))


def _ko_write_a_program(inst: str) -> bool:
    for match in _KO_PROGRAM_RE.finditer(inst):
        if not match.group(1).lower().startswith(_KO_NON_SOFTWARE) and not match.group(1).lower().endswith(_KO_NON_SOFTWARE):
            return True
    return False


def _ko_starts_with_punctuation(inst: str) -> bool:
    first = inst[0]
    return first not in _KO_ALLOWED_OPENERS and not _LETTER_OR_DIGIT.match(first)


def _ko_not_korean(inst: str) -> bool:
    return hangul_share(inst) < KO_MIN_HANGUL_SHARE


@dataclass(frozen=True)
class Rule:
    reason: str
    drops: Callable[[str], bool]


RULES: dict[str, tuple[Rule, ...]] = {
    "en": (
        Rule("too_short", _en_too_short),
        Rule("too_long", _en_too_long),
        Rule("blacklisted_word", _en_blacklisted),
        Rule("write_a_program", _en_write_a_program),
        Rule("starts_with_punctuation", _starts_with_punctuation),
        Rule("starts_with_non_ascii", _starts_with_non_ascii),
    ),
    "ko": (
        Rule("too_short", _ko_too_short),
        Rule("too_long", _ko_too_long),
        Rule("blacklisted_word", _ko_blacklisted),
        Rule("write_a_program", _ko_write_a_program),
        Rule("starts_with_punctuation", _ko_starts_with_punctuation),
        Rule("not_korean", _ko_not_korean),
    ),
}


REASONS = tuple(dict.fromkeys(rule.reason for rules in RULES.values() for rule in rules))


def drop_reason(record: Record, lang: str) -> str | None:
    """The first rule of ``lang`` that drops the record's instruction, or None to keep it.
    (The parser never passes on an empty instruction; the checker drops one as
    ``empty_instruction`` before these rules.)"""
    inst = record.instruction
    for rule in RULES[lang]:
        if rule.drops(inst):
            return rule.reason
    return None
