"""What a field says: placeholders, echoes, loops, refusals, things the model cannot see, unfinished fields."""
from __future__ import annotations

import re
from collections import Counter

from ..records import Record
from .base import URL, Finding, QualityContext, excerpt, strip_code

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


def empty_or_placeholder(record: Record, ctx: QualityContext):
    output = record.output.strip()
    if not output:
        return Finding("empty_output", "output", "drop")
    if len(output) <= 60:
        words = _PLACEHOLDER_STRIP.sub("", output).lower()
        if words in _PLACEHOLDER_WORDS or _BRACKET_ONLY.match(output):
            return Finding("placeholder_output", "output", "drop", excerpt(output))
    return None


def placeholder_input(record: Record, ctx: QualityContext):
    # "<input>", "[text]", "[여기에 글 입력]": the prompt asks for a real input and says never to use one.
    text = record.input.strip()
    if text and len(text) <= 60 and _BRACKET_ONLY.match(text) and not text.startswith(("...", "…")):
        return Finding("placeholder_input", "input", "drop", excerpt(text))
    return None


_SPACES = re.compile(r"[ \t]+")


def _same_text(a: str, b: str) -> bool:
    # Spaces and tabs are ignored, line breaks, case and punctuation are not: fixing
    # spacing, punctuation or capitals, or splitting a text into paragraphs, is a real
    # task whose answer differs only in those. (Equal words are needed first: cheap.)
    return a == b or a.split() == b.split() and [_SPACES.sub(" ", line).strip() for line in a.splitlines()] == \
        [_SPACES.sub(" ", line).strip() for line in b.splitlines()]


def repeats_prompt(record: Record, ctx: QualityContext):
    output = record.output.strip()
    for other in (record.instruction, record.input):
        other = other.strip()
        if other and output and 0.5 <= len(output) / len(other) <= 2 and _same_text(output, other):
            return Finding("output_repeats_prompt", "output", "drop", excerpt(output))
    return None


_PIECE_END = re.compile(r"[.!?。！？\n]+")
# List marks and numbering left at the start of a piece ("2) ", "- ", "• ").
_PIECE_EDGES = " \t-*•·0123456789)(:"
# Pieces holding these are code or markup (CSS, a table), which repeat by nature.
_CODE_MARKS = re.compile(r"[;{}=<>|\[\]]")


def looping_text(text: str) -> str | None:
    """A sentence or line said three times or more, or (in a long run without any
    sentence end) six words repeated three times. Code and short pieces are not
    counted: code and tables repeat by nature."""
    if len(text) < 24:
        return None
    pieces = [piece.strip(_PIECE_EDGES) for piece in _PIECE_END.split(strip_code(text).lower())]
    if len(pieces) - len(set(pieces)) >= 2:  # some piece may occur three times: count them
        for piece, count in Counter(pieces).most_common(3):
            if count < 3:
                break
            if len(piece) >= 8 and piece.count(" ") >= 2 and not _CODE_MARKS.search(piece):
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


def repetition(record: Record, ctx: QualityContext):
    for name in ("output", "input"):
        loop = looping_text(getattr(record, name))
        if loop:
            if _ASKS_FOR_REPEATS.search(record.instruction):
                return None
            return Finding("repetition", name, "drop", excerpt(loop))
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
# Words every refusal has: most outputs have none, and skip the regexes.
_REFUSAL_WORDS_EN = ("as an", "as a ", "i'm", "i am", "i cannot", "i can't", "i don't", "i do not")
_REFUSAL_WORDS_KO = ("모델", "죄송", "접속", "접근", "AI", "인공", "챗봇", "비서")


def _search_hinted(text: str, english: tuple, korean: tuple) -> "re.Match | None":
    """The first match of an English or a Korean pattern, each tried only when the text holds
    one of its hint words (most texts hold none, and skip the regexes)."""
    hints, pattern = english
    low = text.lower()
    match = pattern.search(text) if any(hint in low for hint in hints) else None
    if match is None and not text.isascii():
        hints, pattern = korean
        match = pattern.search(text) if any(hint in text for hint in hints) else None
    return match


def refusal(record: Record, ctx: QualityContext):
    text = record.output
    match = _search_hinted(text, (_REFUSAL_WORDS_EN, _REFUSAL_EN), (_REFUSAL_WORDS_KO, _REFUSAL_KO))
    if match:
        return Finding("refusal", "output", "drop", excerpt(text, max(0, match.start() - 10)))
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


def unseen_content(record: Record, ctx: QualityContext):
    for name in ("input", "instruction"):
        text = getattr(record, name)
        match = _search_hinted(text, (_MEDIA_HINTS_EN, _UNSEEN_MEDIA), (_MEDIA_HINTS_KO, _UNSEEN_MEDIA_KO))
        if match:
            return Finding("unseen_content", name, "drop", excerpt(text, match.start()))
    both = record.instruction + "\n" + record.input
    if "://" in both or "www." in both:
        urls = URL.findall(both)
        rest = URL.sub(" ", record.input)
        if urls and len(rest.split()) <= 12 and _READS_CONTENT.search(record.instruction + " " + rest):
            return Finding("unseen_content", "input" if URL.search(record.input) else "instruction", "drop", urls[0][:60])
    return None


def unfinished(record: Record, ctx: QualityContext):
    # Self-Instruct's rule: a field ending in ":" announces something that never came. An
    # input of several lines may rightly end with one ("MLA:", a form to fill in), and an
    # analogy ("Instability : Turmoil :: Change :") ends with one by design.
    output = record.output.rstrip()
    if output.endswith((":", "：")):
        return Finding("unfinished_output", "output", "drop", excerpt(output, max(0, len(output) - 50)))
    task_input = record.input.rstrip()
    if task_input.endswith((":", "：")) and "\n" not in task_input and "::" not in task_input:
        return Finding("unfinished_input", "input", "drop", excerpt(task_input, max(0, len(task_input) - 50)))
    return None
