"""tokenizers: what each ROUGE-L tokenizer sees, and why Korean needs its own."""
from __future__ import annotations

import pytest
from rouge_score import rouge_scorer
from rouge_score import tokenize as rouge_tokenize

from alpaca_gen.errors import UsageError
from alpaca_gen.similarity import NearDuplicateIndex, rouge_l_f1
from alpaca_gen.tokenizers import (
    DEFAULT_TOKENIZER,
    TOKENIZER_NAMES,
    CharBigramTokenizer,
    HangulCharTokenizer,
    RougeTokenizer,
    WhitespaceTokenizer,
    get_tokenizer,
    tokenizer_for,
)

ENGLISH = [
    "Give three tips for staying healthy.",
    "It's a dog-eat-dog world: 100% of CEOs agree!",
    "Explain the difference between TCP and UDP in two sentences.",
    "   Rewrite   the\tsentence\nin the passive voice.  ",
    "Convert 98.6°F to Celsius, please.",
    "naïve café résumé",
    "",
]

KOREAN = [
    "다음 문장을 영어로 번역하세요.",
    "친구에게 보낼 생일 축하 메시지를 작성하세요.",
    "오늘 오후 3시에 회의가 있는데 준비할 것을 알려 주세요.",
]


def f1(tokenizer, a: str, b: str) -> float:
    return rouge_scorer._score_lcs(tokenizer.tokenize(a), tokenizer.tokenize(b)).fmeasure


@pytest.mark.parametrize("text", ENGLISH + KOREAN + ["Python으로 리스트를 정렬하세요."])
def test_rouge_tokenizer_is_rouge_scores(text):
    assert RougeTokenizer().tokenize(text) == rouge_tokenize.tokenize(text, None)


def test_rouge_tokenizer_words():
    assert RougeTokenizer().tokenize("It's a dog-eat-dog world: 100% of CEOs agree!") == [
        "it", "s", "a", "dog", "eat", "dog", "world", "100", "of", "ceos", "agree",
    ]


@pytest.mark.parametrize("text", KOREAN[:2])
def test_rouge_tokenizer_erases_hangul(text):
    # Why Korean needs another tokenizer: every Hangul word disappears, so two identical
    # Korean instructions score 0 and would never be caught as duplicates.
    assert RougeTokenizer().tokenize(text) == []
    index = NearDuplicateIndex(RougeTokenizer(), 0.7)
    index.add(text)
    verdict = index.offer(text)
    assert not verdict.duplicate
    assert verdict.best_score == 0.0


def test_rouge_tokenizer_keeps_only_digits_of_korean():
    assert RougeTokenizer().tokenize(KOREAN[2]) == ["3"]


def test_hangul_char_tokens():
    tok = HangulCharTokenizer()
    assert tok.tokenize("다음 문장을 번역하세요.") == ["다", "음", "문", "장", "을", "번", "역", "하", "세", "요"]
    # Latin words stay whole and lower-cased: "Python" is one token, not six.
    assert tok.tokenize("Python으로 리스트를 정렬하세요.") == [
        "python", "으", "로", "리", "스", "트", "를", "정", "렬", "하", "세", "요",
    ]
    assert tok.tokenize("오후 3시") == ["오", "후", "3", "시"]
    assert tok.tokenize("ㅋㅋ 너무 웃겨요") == ["ㅋ", "ㅋ", "너", "무", "웃", "겨", "요"]
    assert tok.tokenize("...!!!") == []


@pytest.mark.parametrize("text", KOREAN)
def test_identical_korean_scores_one_with_hangul_char(text):
    tok = HangulCharTokenizer()
    tokens = tok.tokenize(text)
    assert rouge_l_f1(len(tokens), len(tokens), len(tokens)) == 1.0
    index = NearDuplicateIndex(tok, 0.7)
    index.add(text)
    verdict = index.offer(text)
    assert verdict.duplicate
    assert verdict.best_score == 1.0
    assert verdict.best_text == text
    assert len(index) == 1


def test_hangul_char_on_english_matches_rouge_words():
    # Plain ASCII English without apostrophes: the same words as rouge_score.
    text = "Explain the difference between TCP and UDP in two sentences."
    assert HangulCharTokenizer().tokenize(text) == RougeTokenizer().tokenize(text)


def test_whitespace_tokenizer_keeps_eojeol():
    tok = WhitespaceTokenizer()
    assert tok.tokenize("다음 문장을 영어로 번역하세요.") == ["다음", "문장을", "영어로", "번역하세요"]
    assert tok.tokenize("Python으로   리스트를\t정렬하세요!") == ["python으로", "리스트를", "정렬하세요"]
    # The particle makes 문장을 and 문장은 different tokens.
    assert f1(tok, "다음 문장을 영어로 번역하세요.", "다음 문장은 영어로 번역하세요.") == pytest.approx(0.75)


def test_char_bigram_tokenizer():
    tok = CharBigramTokenizer()
    assert tok.tokenize("번역하세요") == ["번역", "역하", "하세", "세요"]
    # Spaces and punctuation are ignored, so bigrams run across word boundaries.
    assert tok.tokenize("다음 글.") == ["다음", "음글"]
    assert tok.tokenize("AB") == ["ab"]
    assert tok.tokenize("가") == ["가"]
    assert tok.tokenize("") == []


def test_default_tokenizers():
    assert DEFAULT_TOKENIZER == {"en": "rouge", "ko": "hangul-char"}
    assert tokenizer_for("en").name == "rouge"
    assert tokenizer_for("ko").name == "hangul-char"
    assert tokenizer_for("ko", "whitespace").name == "whitespace"


def test_every_named_tokenizer_reports_its_name():
    assert set(TOKENIZER_NAMES) >= {"rouge", "hangul-char", "whitespace", "char-bigram", "kiwi", "kiwi-all"}
    for name in TOKENIZER_NAMES:
        if not name.startswith("kiwi"):  # kiwi is slow to load; covered below with one shared model
            assert get_tokenizer(name).name == name


def test_unknown_tokenizer_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown tokenizer 'mecab'"):
        get_tokenizer("mecab")


def test_korean_regression_pair_near():
    tok = tokenizer_for("ko")
    score = f1(tok, "다음 문장을 영어로 번역하세요.", "다음 문장을 영어로 번역해 주세요.")
    assert score > 0.7
    index = NearDuplicateIndex(tok, 0.7)
    index.add("다음 문장을 영어로 번역하세요.")
    assert index.offer("다음 문장을 영어로 번역해 주세요.").duplicate


def test_korean_regression_pair_distinct():
    tok = tokenizer_for("ko")
    a = "오늘 오후 3시에 회의가 있는데 준비할 것을 알려 주세요."
    b = "특정 단어가 포함된 이야기를 3문장으로 작성하세요."
    assert f1(tok, a, b) < 0.7
    index = NearDuplicateIndex(tok, 0.7)
    index.add(a)
    assert not index.offer(b).duplicate


@pytest.fixture(scope="module")
def kiwi_tokenizers():
    """Both kiwi tokenizers, sharing one loaded model (loading one takes seconds)."""
    kiwipiepy = pytest.importorskip("kiwipiepy")
    shared = kiwipiepy.Kiwi()
    patch = pytest.MonkeyPatch()
    patch.setattr(kiwipiepy, "Kiwi", lambda: shared)
    try:
        yield get_tokenizer("kiwi"), get_tokenizer("kiwi-all")
    finally:
        patch.undo()


@pytest.fixture
def kiwi(kiwi_tokenizers):
    return kiwi_tokenizers[0]


def test_kiwi_names(kiwi_tokenizers):
    assert [t.name for t in kiwi_tokenizers] == ["kiwi", "kiwi-all"]


def test_kiwi_drops_particles_and_endings(kiwi):
    tokens = kiwi.tokenize("다음 문장을 영어로 번역하세요.")
    assert {"문장", "영어", "번역"} <= set(tokens)
    assert not {"을", "로", "하", "세요", "."} & set(tokens)
    # A particle swap changes nothing for the content morphemes.
    assert kiwi.tokenize("다음 문장은 영어로 번역하세요.") == kiwi.tokenize("다음 문장을 영어로 번역하세요.")
    tokens = kiwi.tokenize("Python으로 리스트를 정렬하세요.")
    assert "python" in tokens and "리스트" in tokens
    assert not {"으로", "를", "을", "세요"} & set(tokens)


def test_kiwi_all_keeps_particles(kiwi_tokenizers):
    tok = kiwi_tokenizers[1]
    tokens = tok.tokenize("다음 문장을 영어로 번역하세요.")
    assert "을" in tokens and "로" in tokens
    assert "." not in tokens
