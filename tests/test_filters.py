"""filters.drop_reason: Stanford's English rules and the Korean rules."""
from __future__ import annotations

import re
import string

import pytest

try:
    from tests import alpaca_reference
except ImportError:  # tests/ is not a package under some import modes
    import alpaca_reference

from alpaca_gen.filters import KO_MAX_CHARS, KO_MIN_CHARS, drop_reason
from alpaca_gen.parse import parse_completion
from alpaca_gen.records import Record


def reason(instruction: str, lang: str) -> str | None:
    return drop_reason(Record(instruction, "", "An answer."), lang)


# A realistic long instruction to cut at a given number of words.
_LONG = (
    "Read the customer support conversation below and write a short report for the team lead. "
    "Start with one sentence that states the customer's main problem in plain words, then list every "
    "step the agent took to solve it, in the order the steps happened, and say for each step whether "
    "it helped or not. After that, point out any moment where the agent could have been clearer or "
    "faster, and suggest what the agent could have said instead. Mention whether the customer seemed "
    "satisfied at the end of the conversation and quote the sentence that shows it. If the problem was "
    "not solved, explain what should happen next and who should do it. Keep the tone neutral and "
    "respectful, avoid blaming anyone by name, and do not repeat personal details such as phone numbers "
    "or home addresses. Finish with a one-line recommendation for improving the help center article "
    "that covers this problem, so that future customers can solve it on their own without contacting "
    "support at all, and keep the whole report under two hundred words please thanks."
)


def first_words(n: int) -> str:
    words = _LONG.split()
    assert len(words) >= n
    return " ".join(words[:n])


# --- English -------------------------------------------------------------------------------
@pytest.mark.parametrize("instruction", [
    "Summarize the following article in three sentences.",
    "Explain how maple syrup is made.",
    "Classify each animal as a mammal, bird or reptile.",
    "What are the main causes of inflation?",
    "Rewrite this paragraph so that a ten-year-old can understand it.",
    "Write a Python function that checks whether a string is a palindrome.",
])
def test_english_instructions_kept(instruction):
    assert reason(instruction, "en") is None


def test_english_word_count_boundaries():
    assert reason("Name three mammals.", "en") == "too_short"          # 3 words
    assert reason("Name three large mammals.", "en") is None            # 4 words
    assert reason(first_words(150), "en") is None
    assert reason(first_words(151), "en") == "too_long"


@pytest.mark.parametrize("instruction", [
    "Summarize the plot of Hamlet.",                         # "plot": Stanford drops it, story plots included
    "Describe the image below in a few sentences.",
    "Describe the IMAGE below in a few sentences.",          # case-insensitive
    "Which countries border Germany on the map?",
    "Tell me how to go to the airport from downtown.",       # the phrase "go to"
    "Draw a conclusion from the following survey results.",
    "List the files that this shell script deletes.",
    "Recommend some music for a long road trip.",
    "Create a flowchart for the hiring process.",
    "Explain the diagram in your own words.",
])
def test_english_blacklist(instruction):
    assert reason(instruction, "en") == "blacklisted_word"


@pytest.mark.parametrize("instruction", [
    "Explain how maple syrup is made.",                    # "map" only as a prefix of "maple"
    "Come up with a mapping from letters to numbers.",
    "Explain what a graphical user interface is.",
    "Drawing on the passage, explain the author's view.",
    "Explain why going to bed early helps students focus.",  # "going to" is not the phrase "go to"
    "Give me a good motto for a productive week.",
])
def test_english_blacklist_matches_whole_words_only(instruction):
    assert reason(instruction, "en") is None


def test_english_write_a_program_is_a_case_sensitive_prefix():
    assert reason("Write a program that prints the prime numbers below 100.", "en") == "write_a_program"
    assert reason("write a program that prints the prime numbers below 100.", "en") is None
    assert reason("Write a Program that prints the prime numbers below 100.", "en") is None
    assert reason("Please write a program that prints the prime numbers below 100.", "en") is None


@pytest.mark.parametrize("instruction", [
    '"Carpe diem" means what in English?',
    "(Optional) Suggest a title for the essay below.",
    "- List four kinds of renewable energy.",
    "...and then explain why the sky is blue.",
])
def test_english_leading_punctuation(instruction):
    assert instruction[0] in string.punctuation
    assert reason(instruction, "en") == "starts_with_punctuation"


@pytest.mark.parametrize("instruction", [
    "¿Qué hora es ahora mismo en Madrid?",
    "다음 문장을 영어로 번역하세요.",
    "“Translate” the following sentence into German.",   # a curly quote is not ASCII
])
def test_english_leading_non_ascii(instruction):
    assert reason(instruction, "en") == "starts_with_non_ascii"


def test_english_rules_apply_in_stanford_order():
    # Short and blacklisted: "too_short" comes first, as in Stanford's code.
    assert reason("Draw a cat.", "en") == "too_short"
    # Blacklisted and a program: the blacklist is checked first.
    assert reason("Write a program that plots a graph of sin(x).", "en") == "blacklisted_word"


def test_empty_instruction_is_the_gate_s_first_drop():
    # The parser never passes on an empty instruction; data given to `check` may hold one,
    # and the gate drops it before any rule reads its first character.
    from alpaca_gen.gate import RecordGate

    for lang in ("en", "ko"):
        verdict = RecordGate(lang, []).judge(Record("  ", "", "An answer."), every_reason=True)
        assert [(stage, f.reason) for stage, f in verdict.drops] == [("fields", "empty_instruction")]


def stanford_post_process(text: str, finish_reason: str, num_prompt_instructions: int) -> list[dict]:
    return alpaca_reference.post_process(text, finish_reason, num_prompt_instructions)


def test_parse_plus_filters_equal_stanford_post_process():
    instructions = [
        "Summarize the plot of the movie Inception.",
        "Explain how maple syrup is made.",
        "Name three mammals.",
        "Write a program that reverses a linked list.",
        "write a program that reverses a string in Python.",
        '"Carpe diem" means what in English?',
        "¿Cuál es la capital de Perú y por qué?",
        "Give me directions to go to the nearest pharmacy.",
        "Suggest five names for a golden retriever puppy.",
        "Classify the following email as spam or not spam.",
        first_words(151),
        first_words(150),
    ]
    parts = []
    for i, instruction in enumerate(instructions):
        n = 4 + i
        head = " " if i == 0 else f"{n}. Instruction: "
        parts.append(f"{head}{instruction}\n{n}. Input:\n<noinput>\n{n}. Output:\nA suitable answer for task {n}.")
    text = "\n###\n".join(parts) + "\n###"
    parsed = parse_completion(text, "stop", next_number=4)
    ours = [
        {"instruction": t.instruction, "input": t.input, "output": t.output}
        for t in parsed.tasks
        if drop_reason(t, "en") is None
    ]
    reference = stanford_post_process(text, "stop", 3)
    assert ours == reference
    assert [r["instruction"] for r in ours] == [
        "Explain how maple syrup is made.",
        "write a program that reverses a string in Python.",
        "Suggest five names for a golden retriever puppy.",
        "Classify the following email as spam or not spam.",
        first_words(150),
    ]


# --- Korean --------------------------------------------------------------------------------
@pytest.mark.parametrize("instruction", [
    "다음 글을 세 문장으로 요약해 주세요.",
    "친구에게 보낼 생일 축하 메시지를 따뜻한 말투로 써 주세요.",
    "다음 문장의 감정을 긍정, 부정, 중립 중 하나로 분류하세요.",
    "조선 시대에 한글이 만들어진 배경을 설명해 주세요.",
    "주말에 가족과 함께 할 수 있는 실내 활동을 다섯 가지 추천해 주세요.",
    "「소나기」의 줄거리를 초등학생이 이해할 수 있게 요약하세요.",
])
def test_korean_instructions_kept(instruction):
    assert reason(instruction, "ko") is None


def test_korean_length_counts_letters_not_words():
    assert KO_MIN_CHARS == 8
    assert reason("글을 요약하세요.", "ko") == "too_short"       # 7 letters
    assert reason("시를 써 주세요.", "ko") == "too_short"        # 6 letters
    assert reason("이 글을 요약하세요", "ko") is None             # 8 letters
    # Three whitespace words, which Stanford's English rule would drop, but long enough in Korean.
    assert reason("다음 문장을 번역하세요.", "ko") is None
    # Spaces and punctuation do not count.
    assert reason("글 을 요 약 하 세 요 !!!", "ko") == "too_short"


def test_korean_maximum_length():
    sentence = "다음 회의록을 읽고 결정된 사항과 담당자를 정리하세요 "  # 23 letters
    letters = sum(ch.isalnum() for ch in sentence)
    text = (sentence * (KO_MAX_CHARS // letters + 1)).strip()
    while sum(ch.isalnum() for ch in text) > KO_MAX_CHARS:
        text = text[:-1].rstrip()
    assert sum(ch.isalnum() for ch in text) == KO_MAX_CHARS
    assert reason(text, "ko") is None
    assert reason(text + "요", "ko") == "too_long"


@pytest.mark.parametrize("instruction", [
    "이 이미지를 보고 어떤 계절인지 설명해 주세요.",
    "여행에서 찍은 사진으로 짧은 앨범 소개 글을 써 주세요.",
    "지도에서 서울과 부산 사이의 거리를 재어 주세요.",
    "그림이 주는 느낌을 세 단어로 표현하세요.",
    "첨부한 동영상을 요약해 주세요.",
    "바로크 음악의 특징을 간략히 설명하세요.",
    "회원 가입 과정을 다이어그램으로 나타내 주세요.",
    "우리 가족 사진들을 시간순으로 정리해 주세요.",
    "다음 파일에서 중복된 줄을 찾아 주세요.",
    "고양이를 그려 주세요.",
    "집 주변 풍경을 연필로 그리세요.",
    "이 노래의 녹음 상태를 평가해 주세요.",
])
def test_korean_blacklist_with_particles(instruction):
    assert reason(instruction, "ko") == "blacklisted_word"


@pytest.mark.parametrize("instruction", [
    "매일 조금씩 더 행복해지도록 도와주는 습관을 추천해 주세요.",  # 지도 inside 해지도록
    "훌륭한 지도자가 갖춰야 할 자질을 세 가지 말해 주세요.",      # 지도자
    "그림자가 생기는 원리를 초등학생에게 설명해 주세요.",          # 그림자
    "파일럿이 되려면 어떤 준비가 필요한지 알려 주세요.",          # 파일럿
    "다음 글을 세 문장으로 요약하세요. 그리고 글쓴이의 주장에 대한 의견을 덧붙이세요.",  # 그리고
    "그리스 신화에서 제우스가 맡은 역할을 설명해 주세요.",        # 그리스
    "그리운 고향을 떠올리며 짧은 시를 써 주세요.",               # 그리운
    "영상통화를 할 때 지켜야 할 예절을 알려 주세요.",             # 영상통화
])
def test_korean_blacklist_not_inside_other_words(instruction):
    assert reason(instruction, "ko") is None


def test_korean_write_a_program():
    assert reason("목록을 정렬하는 프로그램을 작성하세요.", "ko") == "write_a_program"
    assert reason("사용자에게 이름을 묻고 인사하는 프로그램을 만들어 주세요.", "ko") == "write_a_program"
    assert reason("목록을 정렬하는 파이썬 함수를 작성하세요.", "ko") is None
    assert reason("다음 코드가 어떤 프로그램인지 한 문장으로 설명하세요.", "ko") is None


def test_korean_non_software_program_is_kept():
    assert reason("Design a workout program for office workers who sit all day.", "en") is None
    assert reason("하루 종일 앉아서 일하는 직장인을 위한 운동 프로그램을 만들어 주세요.", "ko") is None


@pytest.mark.parametrize("instruction", [
    "...다음 글을 세 문장으로 요약하세요.",
    "- 다음 글을 세 문장으로 요약하세요.",
    "* 주어진 단어의 반의어를 알려 주세요.",
    "?다음 문장을 영어로 번역하세요.",
])
def test_korean_leading_punctuation(instruction):
    assert reason(instruction, "ko") == "starts_with_punctuation"


@pytest.mark.parametrize("instruction", [
    '"봄"을 주제로 삼행시를 지어 주세요.',
    "'사랑'이라는 단어가 들어간 속담을 세 개 알려 주세요.",
    "“행복”의 뜻을 초등학생에게 설명해 주세요.",
    "「소나기」의 줄거리를 다섯 문장으로 요약하세요.",
    "(초등학생용) 물의 순환을 쉽게 설명해 주세요.",
])
def test_korean_opening_quotes_and_brackets_kept(instruction):
    assert reason(instruction, "ko") is None


def test_korean_run_drops_text_that_is_not_mainly_hangul():
    assert reason("Translate the following sentence into Korean.", "ko") == "not_korean"
    assert reason("次の文章を韓国語に翻訳してください。", "ko") == "not_korean"


@pytest.mark.parametrize("instruction", [
    "다음 Python 코드에서 print 함수가 출력하는 값을 설명하세요.",
    "다음 SQL 쿼리에서 WHERE 절이 하는 역할을 설명해 주세요.",
    "SELECT 문과 JOIN 문의 차이를 설명하세요.",
    "def 키워드로 파이썬 함수를 정의하는 방법을 설명하세요.",
])
def test_korean_mixed_with_code_words_kept(instruction):
    assert reason(instruction, "ko") is None


def test_korean_rules_are_not_english_rules():
    # The same Korean instruction is fine in a ko run and dropped in an en run.
    inst = "다음 문장을 영어로 번역하세요."
    assert reason(inst, "ko") is None
    assert reason(inst, "en") == "starts_with_non_ascii"
    # And an English instruction is fine in en, dropped in ko.
    assert reason("Translate the following sentence into Korean.", "en") is None
