"""Quality rules: what no trainer should see, read from all three fields of a record.

The field rules (:mod:`alpaca_gen.filters`) judge the instruction alone, as
Stanford's did. These rules read the input and the output too, and catch what
small models and Stanford's 52K both produce: the next task's labels inside an
output, ``<noinput>`` spellings, placeholder and empty answers, loops, refusals,
our own prompt's sentences, inputs pointing at things the model never saw,
control characters, and (Korean) answers that are not Korean.

Two kinds of rule:

* a **fix** changes a field and the record goes on: an input that only says
  "no input" becomes ``""``; an output that runs on into another task's labels is
  cut where they start (what comes before is the answer; what follows belongs to
  a task whose instruction was lost);
* a **drop** names what is wrong; the record is not kept.

Each rule is one entry of :data:`RULES` with its reason name and a one-line
rationale (the README's table is made from the same entries). A rule is a
function ``(record, context) -> finding or None``; fixes run first, then drops
in order, so the first drop reason is the one a generation run counts.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from .records import Record
from .text import hangul_share

# -- patterns shared by several rules --------------------------------------------------------------

_LABEL_WORDS = r"(?:Instruction|Input|Output|지시문|지시|명령어|명령|입력|출력|응답)"
# "5. Input:", "**5. Output:**", "5) 입력:" at the start of a line; group 1 the number, 2 the label.
_NUMBERED_LABEL = re.compile(
    rf"(?im)^[ \t>*#-]*(?:\*\*)?(\d{{1,3}})[ \t]*[.)][ \t]*(?:\*\*)?[ \t]*({_LABEL_WORDS})[ \t]*(?:\*\*)?[ \t]*[:：]"
)
_BARE_INSTRUCTION = re.compile(r"(?im)^[ \t>*#-]*(?:\*\*)?(?:Instruction|지시문)[ \t]*(?:\*\*)?[ \t]*[:：]")
_SEPARATOR_LINE = re.compile(r"(?m)^[ \t]*#{3,}[ \t]*$")
_MARKER_LINE = re.compile(r"(?im)^[ \t]*<\s*(?:no[\s_-]*(?:input|output)|입력\s*없음|출력\s*없음)\s*>[ \t]*$")
_INSTRUCTION_WORDS = ("instruction", "지시문", "지시", "명령")
_FENCED_CODE = re.compile(r"```.*?(?:```|$)", re.S)
_INLINE_CODE = re.compile(r"`[^`\n]+`")
_URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"')\]]+")


def _strip_code(text: str) -> str:
    if "`" not in text:
        return text
    return _INLINE_CODE.sub(" ", _FENCED_CODE.sub(" ", text))


def structure_leak(text: str) -> int | None:
    """Where another task's structure starts inside a field, or None.

    A leak is what the self-instruct format looks like from inside: a numbered
    ``N. Instruction:`` label, a ``###`` separator line with text after it, a
    ``<noinput>`` line, or a numbered Input/Output label that cannot be part of an
    answer: one followed by ``<noinput>``, or an Input and an Output with the same
    number. A lone "2. Output: the sorted list" in a list of steps is not one.
    """
    if not text:
        return None
    found: list[int] = []
    if ":" in text or "：" in text:
        numbered = list(_NUMBERED_LABEL.finditer(text))
        by_number: dict[str, set[str]] = {}
        for match in numbered:
            label = match.group(2).lower()
            kind = "instruction" if label in _INSTRUCTION_WORDS else ("input" if label in ("input", "입력") else "output")
            if kind == "instruction" or _MARKER_AFTER.match(text, match.end()):
                found.append(match.start())
                break
            kinds = by_number.setdefault(match.group(1), set())
            kinds.add(kind)
            if len(kinds) == 2:
                first = min(m.start() for m in numbered if m.group(1) == match.group(1))
                found.append(first)
                break
        bare = _BARE_INSTRUCTION.search(text)
        if bare:
            found.append(bare.start())
    if "#" in text:
        for match in _SEPARATOR_LINE.finditer(text):
            if text[match.end():].strip():
                found.append(match.start())
                break
    if "<" in text:
        marker = _MARKER_LINE.search(text)
        if marker and text[: marker.start()].strip():
            found.append(marker.start())
    return min(found) if found else None


_MARKER_AFTER = re.compile(r"\s*<\s*no[\s_-]*(?:input|output)\s*>", re.I)

# "No input" in its many spellings: the whole input says there is none.
_NO_INPUT = re.compile(
    r"""^[\s<\[({"'「『]*(?:
        no[\s_-]*input(?:\s+(?:needed|required|provided|given))?|noinput|n/?a|none|nil|null|empty|not\s+applicable|
        no[\s_-]*input[\s_-]*required|입력\s*(?:값\s*)?없음|입력이?\s*없(?:음|습니다)|입력\s*불필요|없음|없습니다|해당\s*없음|-+|—+
    )[\s>\])}"'」』.]*$""",
    re.I | re.X,
)
# An explicit marker (in brackets) with text beside it: the model was confused about the field.
_MARKER_WITH_TEXT = re.compile(r"<\s*(?:no[\s_-]*input|입력\s*없음)\s*>", re.I)


def is_no_input(text: str) -> bool:
    """Does the whole input say that there is no input (``<noinput>``, ``N/A``, ``없음``, …)?"""
    stripped = text.strip()
    return bool(stripped) and len(stripped) <= 40 and bool(_NO_INPUT.match(stripped))


# -- findings and context ------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    reason: str
    field: str  # instruction, input or output
    action: str  # "drop" or "fix"
    excerpt: str = ""


@dataclass
class QualityContext:
    """What rules need besides the record: its language and the prompt texts to look for."""

    lang: str
    prompt_windows: "PromptWindows | None" = None

    @classmethod
    def for_prompts(cls, lang: str, prompt_texts: list[str]) -> "QualityContext":
        return cls(lang, PromptWindows.of(prompt_texts) if prompt_texts else None)


@dataclass(frozen=True)
class QualityRule:
    reason: str
    action: str  # "fix" or "drop"
    langs: tuple[str, ...]
    rationale: str
    apply: Callable[[Record, QualityContext], "tuple[Record, Finding] | Finding | None"]


def _excerpt(text: str, start: int = 0, width: int = 60) -> str:
    piece = text[max(0, start): start + width].replace("\n", "\\n")
    return piece + ("…" if len(text) > start + width else "")


# -- fixes ---------------------------------------------------------------------------------------


def _fix_no_input(record: Record, ctx: QualityContext):
    if record.input and is_no_input(record.input):
        return record.with_fields(input=""), Finding("noinput_marker", "input", "fix", _excerpt(record.input))
    return None


def _fix_output_leak(record: Record, ctx: QualityContext):
    at = structure_leak(record.output)
    if at is None:
        return None
    kept = record.output[:at].rstrip()
    finding = Finding("output_structure_leak", "output", "fix" if kept.strip() else "drop", _excerpt(record.output, at))
    if not kept.strip():
        return finding  # nothing before the leak: the whole output belongs to another task
    return record.with_fields(output=kept), finding


# -- drops ---------------------------------------------------------------------------------------


# The parser joins an instruction into one line, so labels inside it are found anywhere in it.
_INLINE_LABEL = re.compile(
    rf"(?i)(?:^|[\s*#>])(?:\*\*)?\d{{1,3}}[ \t]*[.)][ \t]*(?:\*\*)?[ \t]*{_LABEL_WORDS}[ \t]*(?:\*\*)?[ \t]*[:：]|(?:^|\s)#{{3,}}(?:\s|$)"
)


def _input_leak(record: Record, ctx: QualityContext):
    at = structure_leak(record.input)
    if at is not None:
        return Finding("input_structure_leak", "input", "drop", _excerpt(record.input, at))
    match = _INLINE_LABEL.search(record.instruction) if (":" in record.instruction or "#" in record.instruction) else None
    at = match.start() if match else structure_leak(record.instruction)
    if at is not None:
        return Finding("instruction_structure_leak", "instruction", "drop", _excerpt(record.instruction, at))
    return None


def _noinput_with_text(record: Record, ctx: QualityContext):
    match = _MARKER_WITH_TEXT.search(record.input) if "<" in record.input else None
    if match and (record.input[: match.start()].strip() or record.input[match.end():].strip()):
        return Finding("noinput_with_text", "input", "drop", _excerpt(record.input))
    return None


# Only what is unambiguous as a whole answer: "None", "없음" or "해당 없음" can be right answers.
_PLACEHOLDER_WORDS = {
    "nooutput", "no output", "noinput", "no input", "n/a", "tbd", "todo", "your answer here", "answer here",
    "insert answer here", "insert output here", "your response here", "output here", "출력 없음", "출력없음",
    "답변 없음", "생략", "미정", "여기에 답변", "답변을 입력하세요", "여기에 답을 쓰세요",
}
_PLACEHOLDER_STRIP = re.compile(r"^[\s<\[({\"'`「『*_.:]+|[\s>\])}\"'`」』*_.:]+$")
# A bracketed word or phrase with nothing else ("[Your essay]", "<답변>"): letters and spaces only,
# so a list answer such as [3, 1, 2] or ['a', 'b'] is not one.
_BRACKET_ONLY = re.compile(r"^\s*(?:\[[^\W\d_][^\W\d]*(?:[ -][^\W\d]+)*\]|<[^\W\d_][^\W\d]*(?:[ -][^\W\d]+)*>|\.{3,}|…+)\s*$")


def _empty_or_placeholder(record: Record, ctx: QualityContext):
    output = record.output.strip()
    if not output:
        return Finding("empty_output", "output", "drop")
    if len(output) <= 60:
        words = _PLACEHOLDER_STRIP.sub("", output).lower()
        if words in _PLACEHOLDER_WORDS or _BRACKET_ONLY.match(output):
            return Finding("placeholder_output", "output", "drop", _excerpt(output))
    return None


def _placeholder_input(record: Record, ctx: QualityContext):
    # "<input>", "[text]", "[여기에 글 입력]": the prompt asks for a real input and says never to use one.
    text = record.input.strip()
    if text and len(text) <= 60 and (_BRACKET_ONLY.match(text) and not text.startswith("...") and not text.startswith("…")):
        return Finding("placeholder_input", "input", "drop", _excerpt(text))
    return None


def _repeats_prompt(record: Record, ctx: QualityContext):
    # Whitespace runs are ignored, case and punctuation are not: fixing spacing,
    # punctuation or capitals is a real task whose answer differs only in those.
    output = record.output.strip()
    for other in (record.instruction, record.input):
        other = other.strip()
        if not other or not output or not 0.5 <= len(output) / len(other) <= 2:
            continue
        if output == other or " ".join(output.split()) == " ".join(other.split()):
            return Finding("output_repeats_prompt", "output", "drop", _excerpt(output))
    return None


_PIECE_END = re.compile(r"[.!?。！？\n]+")
# List marks and numbering left at the start of a piece ("2) ", "- ", "• ").
_PIECE_EDGES = " \t-*•·0123456789)(:"
_WORD = re.compile(r"[^\W_]+")


def _looping_text(text: str) -> str | None:
    """A sentence or line said three times or more, or (in a long run without any
    sentence end) six words repeated three times. Code blocks and short pieces are
    not counted: code and tables repeat by nature."""
    if len(text) < 24:
        return None
    pieces = [piece.strip(_PIECE_EDGES) for piece in _PIECE_END.split(_strip_code(text).lower())]
    for piece, count in Counter(pieces).most_common(3):
        if count < 3:
            break
        if len(piece) >= 8 and piece.count(" ") >= 2:
            return piece
    longest = max(pieces, key=len)
    if len(longest) >= 150:
        words = longest.split()
        if len(words) >= 18:
            gram, count = Counter(zip(words, words[1:], words[2:], words[3:], words[4:], words[5:])).most_common(1)[0]
            if count >= 3:
                return " ".join(gram)
    return None


# A chorus or a chant repeats on purpose.
_ASKS_FOR_REPEATS = re.compile(r"(?i)song|lyric|chorus|refrain|chant|jingle|rap\b|repeat|노래|가사|후렴|동요|구호|돌림|반복|되풀이")


def _repetition(record: Record, ctx: QualityContext):
    for name in ("output", "input"):
        loop = _looping_text(getattr(record, name))
        if loop:
            if _ASKS_FOR_REPEATS.search(record.instruction):
                return None
            return Finding("repetition", name, "drop", _excerpt(loop))
    return None


# Boilerplate of a model talking about itself or refusing the task. A polite "I'm sorry,
# but I can't attend" is a real answer to "write a reply declining the invitation", so
# "sorry" counts only with the request, the internet or real-time data as its object.
_REFUSAL_EN = re.compile(
    r"""(?ix)
    \bas\s+an?\s+(?:ai|artificial\s+intelligence)(?:\s+(?:language\s+)?model|\s+assistant|\s+chatbot)?\s*(?:,|\bi\b)
    |\bas\s+a\s+(?:large\s+)?language\s+model\b
    |\bi(?:'m|\s+am)\s+(?:just\s+|only\s+)?(?:an?\s+)?(?:ai\s+(?:language\s+)?model|language\s+model|ai\s+assistant|large\s+language)
    |\bi(?:'m|\s+am)\s+(?:sorry|afraid),?\s+(?:but\s+)?i\s+(?:cannot|can't|am\s+unable\s+to|am\s+not\s+able\s+to)\s+
       (?:fulfill|complete|provide|help\s+with|assist\s+with|answer|generate|create)\s+(?:this|that|your|the)\s+
       (?:request|task|question|information|content)
    |\bi\s+(?:cannot|can't|am\s+unable\s+to|am\s+not\s+able\s+to)\s+(?:browse|access|search)\s+(?:the\s+)?
       (?:internet|web|url|link|external|real-time|online)
    |\bi\s+(?:don't|do\s+not)\s+have\s+(?:access\s+to\s+(?:the\s+internet|real-time|external|the\s+web|your)|personal\s+(?:opinions|experiences|feelings|preferences))
    """
)
_REFUSAL_KO = re.compile(
    r"(?:AI|에이아이|인공\s?지능|언어)\s*(?:언어\s*)?(?:모델|어시스턴트|챗봇)(?:로서|으로서|이기\s*때문에|이라서|이므로|이라\s)"
    r"|저는\s*(?:AI|인공\s?지능|언어\s*모델|챗봇|가상\s*비서)(?:이|입니다|로서|라서|이라)"
    r"|죄송(?:하지만|합니다|해요)[^.\n]{0,40}(?:요청|질문|정보|답변|실시간|인터넷|접근|접속)[^.\n]{0,30}(?:수\s*없|어렵|불가)"
    r"|(?:인터넷|웹|실시간\s*정보)에\s*(?:접속|접근)할\s*수\s*없"
)


_REFUSAL_WORDS_EN = ("ai", "language model", "sorry", "afraid", "cannot", "can't", "unable", "not able", "don't have", "do not have")
_REFUSAL_WORDS_KO = ("모델", "죄송", "접속", "접근", "AI", "인공", "챗봇", "비서")


def _refusal(record: Record, ctx: QualityContext):
    text = record.output
    low = text.lower()
    match = None
    if any(word in low for word in _REFUSAL_WORDS_EN):
        match = _REFUSAL_EN.search(text)
    if match is None and not text.isascii() and any(word in text for word in _REFUSAL_WORDS_KO):
        match = _REFUSAL_KO.search(text)
    if match:
        return Finding("refusal", "output", "drop", _excerpt(text, max(0, match.start() - 10)))
    return None


_NON_WORD = re.compile(r"[\W\d_]+")


def prompt_fingerprint(text: str) -> str:
    """Text reduced to its letters, lower case: numbers, spaces and punctuation vary when prompts leak."""
    return _NON_WORD.sub("", text.lower())


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


def _prompt_leak(record: Record, ctx: QualityContext):
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


_UNSEEN_MEDIA = re.compile(
    r"""(?ix)
    <\s*(?:image|img|picture|photo|video|audio)\b[^>]*>|!\[[^\]]*\]\(|\[(?:image|photo|picture|screenshot|video|audio)[^\]]{0,20}\]
    |\b(?:see\s+)?(?:the\s+)?attached\s+(?:image|photo|picture|file|document|screenshot|pdf|spreadsheet|audio|video|recording)s?\b
    |\b(?:the|this)\s+(?:image|photo|picture|screenshot|video|audio\s+clip|recording)s?\s+(?:above|below|attached|provided|shown)\b
    |<\s*picture\s+attached\s*>
    """
)
_UNSEEN_MEDIA_KO = re.compile(
    r"첨부(?:된|한|해\s*드린|파일의?)?\s*(?:사진|이미지|그림|파일|문서|스크린샷|캡처|영상|동영상|음성|녹음)"
    r"|(?:위|아래|다음)의?\s*(?:사진|이미지|그림|스크린샷|캡처|영상|동영상)(?:을|를|에|에서|은|는|속|과|처럼)"
    r"|[<\[]\s*(?:이미지|사진|그림|영상|동영상|첨부)\s*[>\]]"
)
# Asking about what a page says, not about the address itself (phishing check, domain extraction).
_READS_CONTENT = re.compile(
    r"(?i)summar|article|content|\bread\b|watch|listen|video|\bpost\b|blog|review|according\s+to|what\s+does\s+(?:it|the\s+page)\s+say"
    r"|요약|기사|내용|읽고|읽어|시청|영상|게시물|블로그|후기|에\s*따르면|에\s*나온|에\s*있는\s*글"
)


_MEDIA_HINTS_EN = ("<", "[", "attach", "above", "below", "provided", "shown")
_MEDIA_HINTS_KO = ("첨부", "사진", "이미지", "그림", "영상", "스크린샷", "캡처", "<", "[")


def _unseen_content(record: Record, ctx: QualityContext):
    for name in ("input", "instruction"):
        text = getattr(record, name)
        low = text.lower()
        match = None
        if any(hint in low for hint in _MEDIA_HINTS_EN):
            match = _UNSEEN_MEDIA.search(text)
        if match is None and not text.isascii() and any(hint in text for hint in _MEDIA_HINTS_KO):
            match = _UNSEEN_MEDIA_KO.search(text)
        if match:
            return Finding("unseen_content", name, "drop", _excerpt(text, match.start()))
    both = record.instruction + "\n" + record.input
    if "://" in both or "www." in both:
        urls = _URL.findall(both)
        rest = _URL.sub(" ", record.input)
        if urls and len(rest.split()) <= 12 and _READS_CONTENT.search(record.instruction + " " + rest):
            return Finding("unseen_content", "input" if _URL.search(record.input) else "instruction", "drop", urls[0][:60])
    return None


# C0 and C1 controls (tab, newline and carriage return are text), DEL, the replacement
# character, lone surrogates and noncharacters.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BROKEN = re.compile("[\ufffd\ufffe\uffff\ud800-\udfff]")
# UTF-8 read as Latin-1 / cp1252: "Ã©", "â€™", and Korean as "ì•ˆë…•".
_MOJIBAKE = re.compile("[ÃÂâêëìí][\u00a0-\u00bf\u2013-\u203a\u20ac\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2122]")


_BAD_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd\ufffe\uffff\ud800-\udfff]")


def _control_characters(record: Record, ctx: QualityContext):
    for name in ("instruction", "input", "output"):
        text = getattr(record, name)
        match = _BAD_CHARACTER.search(text)
        if match is None and not text.isascii():
            match = _MOJIBAKE.search(text)
        if match is None:
            continue
        if _CONTROL.match(match.group()):
            return Finding("control_characters", name, "drop", f"U+{ord(match.group()):04X}")
        return Finding("broken_unicode", name, "drop", _excerpt(text, max(0, match.start() - 10), 30))
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


def _garbled_hangul(record: Record, ctx: QualityContext):
    for name in ("instruction", "input", "output"):
        text = getattr(record, name)
        if text.isascii():
            continue
        match = _RARE_HANGUL.search(text)
        if match:
            return Finding("garbled_hangul", name, "drop", _excerpt(text, max(0, match.start() - 10), 30))
    return None


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
_HANGUL_WORD = re.compile("[\uac00-\ud7a3]")
_LATIN_LETTER = re.compile("[A-Za-z]")
_LATIN_WORD = re.compile(r"^[A-Za-z][A-Za-z'’\-]*$")


def korean_word_share(text: str) -> float | None:
    """Share of Korean words among Korean and Latin words, code and URLs set aside;
    None when there are fewer than four such words (a short answer says nothing).
    Words, not letters: a Latin technical term (API, Python) is one word among many,
    and with its particle attached (API를) it counts as Korean."""
    text = _URL.sub(" ", _strip_code(text))
    korean = latin = 0
    for word in _WORD.findall(text):
        if _HANGUL_WORD.search(word):
            korean += 1
        elif _LATIN_WORD.match(word):
            latin += 1
    if korean + latin < 4:
        return None
    return korean / (korean + latin)


KO_MIN_OUTPUT_WORD_SHARE = 0.5


def _output_language(record: Record, ctx: QualityContext):
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
        return Finding("output_not_korean", "output", "drop", _excerpt(output))
    if ctx.lang == "en" and not output.isascii():
        words = _WORD.findall(_URL.sub(" ", _strip_code(output)))
        foreign = sum(1 for word in words if not word.isascii())
        if len(words) >= 4 and foreign * 2 > len(words) and not _ASKS_FOR_OTHER_TEXT_EN.search(record.instruction + " " + record.input):
            return Finding("output_not_english", "output", "drop", _excerpt(output))
    return None


def _unfinished(record: Record, ctx: QualityContext):
    # Self-Instruct's rule: a field ending in ":" announces something that never came. An
    # input of several lines may rightly end with one ("MLA:", a form to fill in), and an
    # analogy ("Instability : Turmoil :: Change :") ends with one by design.
    output = record.output.rstrip()
    if output.endswith((":", "：")):
        return Finding("unfinished_output", "output", "drop", _excerpt(output, max(0, len(output) - 50)))
    task_input = record.input.rstrip()
    if task_input.endswith((":", "：")) and "\n" not in task_input and "::" not in task_input:
        return Finding("unfinished_input", "input", "drop", _excerpt(task_input, max(0, len(task_input) - 50)))
    return None


BOTH = ("en", "ko")
RULES: tuple[QualityRule, ...] = (
    QualityRule("noinput_marker", "fix", BOTH,
                "an input that only says there is none (`<noinput>`, `No input`, `N/A`, `없음`, `입력 없음`) becomes \"\"", _fix_no_input),
    QualityRule("output_structure_leak", "fix", BOTH,
                "an output running on into another task's labels (`5. Input:`, `4. Output: <noinput>`, `###`) is cut there; "
                "dropped when nothing comes before the leak", _fix_output_leak),
    QualityRule("input_structure_leak", "drop", BOTH,
                "task labels inside the input (or `instruction_structure_leak`, inside the instruction): where one field "
                "ends and the next begins is unknown, so no cut is safe", _input_leak),
    QualityRule("noinput_with_text", "drop", BOTH,
                "`<noinput>` beside other text: the model was unsure what the input is", _noinput_with_text),
    QualityRule("empty_output", "drop", BOTH, "nothing to learn from (or `placeholder_output`: `<nooutput>`, `N/A`, "
                "`[Your answer here]`, `<답변>`, `생략`)", _empty_or_placeholder),
    QualityRule("placeholder_input", "drop", BOTH,
                "an input that is only a bracketed placeholder (`<input>`, `[text]`, `[본문]`): the task has no real input",
                _placeholder_input),
    QualityRule("output_repeats_prompt", "drop", BOTH,
                "the output is the instruction or the input again (whitespace aside; case and punctuation count, "
                "so fixing them is still a task)", _repeats_prompt),
    QualityRule("repetition", "drop", BOTH,
                "a sentence or line three times or more, or six words repeated three times: a decoding loop "
                "(code blocks and short lines are exempt)", _repetition),
    QualityRule("refusal", "drop", BOTH,
                "refusal and self-reference boilerplate (`As an AI language model…`, `저는 AI 언어 모델로서…`) teaches "
                "the model to refuse", _refusal),
    QualityRule("prompt_leak", "drop", BOTH,
                "24 letters in a row (14 Hangul) of a line of our prompts: the model copied its instructions", _prompt_leak),
    QualityRule("unseen_content", "drop", BOTH,
                "the input or instruction points at something the model cannot see: `<image>`, an attached photo "
                "(첨부된 사진), a URL whose page must be read", _unseen_content),
    QualityRule("control_characters", "drop", BOTH,
                "C0/C1 control characters (or `broken_unicode`: U+FFFD, lone surrogates, UTF-8 read as Latin-1)",
                _control_characters),
    QualityRule("garbled_hangul", "drop", BOTH,
                "a Hangul syllable outside the 2,350 of KS X 1001 (힣 aside): syllable noise of a model that builds "
                "syllables from jamo; real Korean text has none (0 in 52,667 syllables of four Korean corpora)", _garbled_hangul),
    QualityRule("output_not_korean", "drop", BOTH,
                "ko: under half of the output's words are Korean (code, URLs and answers under four words aside; "
                "translation and code tasks exempt); en (`output_not_english`): mostly another script", _output_language),
    QualityRule("unfinished_output", "drop", BOTH,
                "the output (or `unfinished_input`, a one-line input) ends with `:`, announcing what never came "
                "(Self-Instruct's rule; analogies such as `A : B :: C :` aside)",
                _unfinished),
)
#: Every reason a quality rule can give (some rules have a second name for a second field).
REASONS = (
    "noinput_marker", "output_structure_leak", "input_structure_leak", "instruction_structure_leak", "noinput_with_text",
    "empty_output", "placeholder_output", "placeholder_input", "output_repeats_prompt", "repetition", "refusal", "prompt_leak",
    "unseen_content", "control_characters", "broken_unicode", "garbled_hangul", "output_not_korean", "output_not_english",
    "unfinished_output", "unfinished_input",
)


@dataclass
class QualityResult:
    record: Record  # with the fixes applied
    fixes: list[Finding] = field(default_factory=list)
    drops: list[Finding] = field(default_factory=list)

    @property
    def drop_reason(self) -> str | None:
        return self.drops[0].reason if self.drops else None


def judge(record: Record, ctx: QualityContext, *, every_reason: bool = False) -> QualityResult:
    """Apply the fixes, then the drop rules; stop at the first drop unless ``every_reason``."""
    result = QualityResult(record)
    for rule in RULES:
        if ctx.lang not in rule.langs:
            continue
        outcome = rule.apply(result.record, ctx)
        if outcome is None:
            continue
        if isinstance(outcome, tuple):
            result.record, finding = outcome
            result.fixes.append(finding)
            continue
        result.drops.append(outcome)
        if not every_reason:
            break
    return result
