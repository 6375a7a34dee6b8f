"""quality: each rule on the cases it must catch and the look-alikes it must leave, in English and Korean."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from alpaca_gen.gate import RecordGate
from alpaca_gen.quality import RULES, QualityContext, is_no_input, judge, korean_word_share, structure_leak
from alpaca_gen.records import Record

REPO = Path(__file__).resolve().parents[1]
GATES = {lang: RecordGate(lang) for lang in ("en", "ko")}


def reasons(instruction: str, task_input: str = "", output: str = "An answer that is fine.", lang: str = "en") -> list[str]:
    verdict = GATES[lang].judge(Record(instruction, task_input, output, lang=lang), every_reason=True)
    return [f.reason for _, f in verdict.drops]


def fixed(instruction: str, task_input: str, output: str, lang: str = "en"):
    verdict = GATES[lang].judge(Record(instruction, task_input, output, lang=lang), every_reason=True)
    return verdict.record, [f.reason for f in verdict.fixes], [f.reason for _, f in verdict.drops]


EN_TASK = "Summarize the following paragraph in one sentence."
KO_TASK = "다음 글을 한 문장으로 요약해 주세요."


# -- structure leaks -------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang,instruction,output,kept", [
    ("en", EN_TASK, "Paris is the capital.\n5. Input:\n<noinput>\n5. Output:\nBerlin is the capital.", "Paris is the capital."),
    ("en", EN_TASK, "The answer is 42.\n4. Output: <noinput>", "The answer is 42."),
    ("en", EN_TASK, "A short summary.\n###\n6. Instruction: Name a planet.", "A short summary."),
    ("en", EN_TASK, "Summary here.\n**7. Instruction:** Write a haiku.", "Summary here."),
    ("ko", KO_TASK, "서울은 한국의 수도입니다.\n5. 입력:\n<noinput>\n5. 출력:\n부산은 항구 도시입니다.", "서울은 한국의 수도입니다."),
    ("ko", KO_TASK, "회의는 다음 주로 미뤄졌습니다.\n6. 지시문: 속담의 뜻을 풀이하세요.", "회의는 다음 주로 미뤄졌습니다."),
    # From the held-out SmolLM2 completions (en-completions-12): a lone label, its field on the next line.
    ("en", EN_TASK, "Help them with their job.\n9. Input:\nYou know a friend's mother who lives abroad.", "Help them with their job."),
    ("ko", KO_TASK, "친구에게 안부를 전하세요.\n7. 입력:\n외국에 사는 친구", "친구에게 안부를 전하세요."),
    # From a real llama.cpp run (SmolLM2-135M, Korean): every line numbered anew, an Output, then an Input.
    ("ko", KO_TASK, "'{12, 17}'\n6. Output: {\"Name\": \"\"}\n7. Input: \"{\"n\": 1}\"", "'{12, 17}'"),
    ("en", EN_TASK, "Twelve.\n6. Output: 12\n7. Input: 4 and 5", "Twelve."),
])
def test_an_output_running_into_the_next_task_is_cut_there(lang, instruction, output, kept):
    record, fixes, drops = fixed(instruction, "", output, lang)
    assert record.output == kept and fixes == ["output_structure_leak"] and drops == []


def test_an_output_that_opens_with_its_own_label_again_is_dropped():
    # From the second held-out SmolLM2 set (en-chat-24): "4. Output: No. 90 = 7 x 6, …".
    assert reasons("Is 90 a prime number? Answer yes or no.", "", "4. Output: No. 90 = 7 x 6.") == ["output_structure_leak"]
    assert reasons("90은 소수인가요? 예 또는 아니요로 답하세요.", "", "4. 출력: 아니요. 90은 2로 나누어집니다.", "ko") == [
        "output_structure_leak"]


def test_an_output_that_is_only_the_next_task_is_dropped():
    assert reasons(EN_TASK, "", "5. Instruction: Name a color.\n5. Input:\n<noinput>") == ["output_structure_leak"]
    assert reasons(KO_TASK, "", "5. 지시문: 색 이름을 하나 대세요.", "ko") == ["output_structure_leak"]


@pytest.mark.parametrize("output", [
    # A list of steps that mentions inputs and outputs is an answer, not a leak.
    "1. Input: read a list of numbers.\n2. Output: print them sorted.",
    "Input: 3\nOutput: 9\nInput: 4\nOutput: 16",
    "### Step one\nMix the flour and the water.",
    "Use `<noinput>` when a task has no input.",
    "1. 입력: 숫자 목록을 받습니다.\n2. 출력: 정렬한 목록을 보여 줍니다.",
])
def test_answers_that_only_look_like_labels_are_left_alone(output):
    assert structure_leak(output) is None


def test_labels_inside_an_input_or_instruction_drop_the_record():
    assert reasons(EN_TASK, "Some text.\n6. Instruction: Translate it.") == ["input_structure_leak"]
    assert reasons("Rank the cities by size. ### 4. Output: 99 99,823") == ["instruction_structure_leak"]
    assert reasons("사과 값을 계산하세요. ### 4. Output: 2,398원", "", "3,000원입니다.", "ko") == ["instruction_structure_leak"]


# -- no input --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("marker", ["<noinput>", "<no input>", "No input", "No input.", "noinput", "N/A", "None", "-",
                                    "없음", "입력 없음", "(입력 없음)", "해당 없음", "<입력 없음>", "입력값 없음"])
def test_no_input_spellings_become_empty(marker):
    assert is_no_input(marker)
    record, fixes, drops = fixed("Name the largest planet in the solar system.", marker, "Jupiter is the largest planet.")
    assert record.input == "" and fixes == ["noinput_marker"] and drops == []


@pytest.mark.parametrize("text", ["No input was given by the user, so the form was rejected.", "Nothing", "Noon",
                                  "없음표를 붙이세요", "입력 없음을 확인했습니다. 다음 단계로 넘어갑니다."])
def test_inputs_that_merely_start_like_no_input_are_kept(text):
    assert not is_no_input(text)


def test_a_noinput_marker_beside_text_is_a_defect():
    assert reasons(EN_TASK, "<noinput> The meeting moved to Friday.") == ["noinput_with_text"]
    assert reasons(KO_TASK, "회의가 금요일로 옮겨졌다. <입력 없음>", "회의는 금요일입니다.", "ko") == ["noinput_with_text"]


# -- empty, placeholder, repeated ------------------------------------------------------------------------


@pytest.mark.parametrize("output,reason", [
    ("   ", "empty_output"), ("<nooutput>", "placeholder_output"), ("N/A", "placeholder_output"),
    ("[Your answer here]", "placeholder_output"), ("`noinput`.", "placeholder_output"), ("...", "placeholder_output"),
    ("<답변>", "placeholder_output"), ("생략", "placeholder_output"), ("[출력 없음]", "placeholder_output"),
])
def test_empty_and_placeholder_outputs(output, reason):
    lang = "ko" if any("\uac00" <= ch <= "\ud7a3" for ch in output) else "en"
    assert reason in reasons(EN_TASK if lang == "en" else KO_TASK, "", output, lang)


@pytest.mark.parametrize("output", ["None", "[3, 1, 2]", "['apple', 'pear']", "{}", "없음", "해당 없음", "B"])
def test_short_real_answers_are_not_placeholders(output):
    lang = "ko" if any("\uac00" <= ch <= "\ud7a3" for ch in output) else "en"
    found = reasons("Which of these numbers are prime: 4, 6, 8?", "", output, lang)
    assert "placeholder_output" not in found and "empty_output" not in found


def test_placeholder_inputs():
    assert reasons(EN_TASK, "<input>") == ["placeholder_input"]
    assert reasons(EN_TASK, "[Insert paragraph here]") == ["placeholder_input"]
    assert reasons(KO_TASK, "[본문]", "요약입니다.", "ko") == ["placeholder_input"]
    assert reasons("Sort the list in ascending order.", "[5, 2, 9]", "[2, 5, 9]") == []


def test_an_output_that_only_repeats_the_prompt():
    assert reasons("Say this sentence back to me.", "The sky is blue.", "The sky is  blue.") == ["output_repeats_prompt"]
    assert reasons(KO_TASK, "", KO_TASK, "ko") == ["output_repeats_prompt"]
    # Fixing spacing, punctuation or case is a task whose answer differs only in those.
    assert reasons("Add the missing punctuation.", "lets eat grandma", "Let's eat, Grandma!") == []
    assert reasons("띄어쓰기를 바르게 고쳐 주세요.", "아버지가방에들어가신다", "아버지가 방에 들어가신다", "ko") == []


# -- loops -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang,output", [
    ("en", "I like dogs. I like dogs. I like dogs. I like dogs."),
    ("en", "1. Eat more vegetables every day\n2. Eat more vegetables every day\n3. Eat more vegetables every day"),
    ("en", " ".join(["and then the little cat ran home again"] * 4)),
    ("ko", "저는 학교에 갑니다. 저는 학교에 갑니다. 저는 학교에 갑니다."),
    ("ko", "- 물을 자주 마시세요\n- 물을 자주 마시세요\n- 물을 자주 마시세요"),
])
def test_repetition_loops(lang, output):
    assert "repetition" in reasons(EN_TASK if lang == "en" else KO_TASK, "", output, lang)


@pytest.mark.parametrize("instruction,output", [
    ("Write a short song with a chorus.", "Sing along, sing along. " * 3 + "The end."),
    ("노래 가사를 지어 주세요.", "랄랄라 즐거운 하루. 랄랄라 즐거운 하루. 랄랄라 즐거운 하루."),
    ("Show a loop in Python.", "```python\nprint('hi there friend')\nprint('hi there friend')\nprint('hi there friend')\n```"),
    ("List three tips.", "Yes.\nYes.\nYes."),  # short lines say nothing
])
def test_repeats_on_purpose_are_kept(instruction, output):
    lang = "ko" if instruction.startswith("노래") else "en"
    assert "repetition" not in reasons(instruction, "", output, lang)


# -- refusals --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang,output", [
    ("en", "As an AI language model, I cannot have personal opinions."),
    ("en", "I'm sorry, but I cannot fulfill this request."),
    ("en", "I cannot browse the internet, so I can't open that link."),
    ("ko", "저는 AI 언어 모델로서 개인적인 의견이 없습니다."),
    ("ko", "죄송하지만 실시간 정보는 제공할 수 없습니다."),
    ("ko", "인공지능 언어 모델이기 때문에 감정을 느낄 수 없어요."),
])
def test_refusal_boilerplate(lang, output):
    assert "refusal" in reasons(EN_TASK if lang == "en" else KO_TASK, "", output, lang)


@pytest.mark.parametrize("lang,instruction,output", [
    ("en", "Write a reply declining the invitation.", "I'm sorry, but I can't attend the party on Saturday."),
    ("en", "Describe your job in one line.", "As an AI researcher, I study how models learn."),
    ("ko", "초대를 정중히 거절하는 문자를 써 주세요.", "죄송하지만 이번 모임에는 참석할 수 없을 것 같아요."),
    ("ko", "인공지능 언어 모델이 무엇인지 설명해 주세요.", "인공지능 언어 모델은 많은 글을 학습해 다음 단어를 예측하는 프로그램입니다."),
])
def test_polite_answers_are_not_refusals(lang, instruction, output):
    assert "refusal" not in reasons(instruction, "", output, lang)


# -- our prompt leaking ----------------------------------------------------------------------------------


def test_prompt_sentences_in_a_record():
    leaked = "아래 예시에 이어서 서로 겹치지 않는 과제 21개를 만들어 주세요."
    assert "prompt_leak" in reasons(KO_TASK, "", leaked, "ko")
    assert "prompt_leak" in reasons(EN_TASK, "", "Sure! Please come up with 20 new and varied tasks. Each task has an instruction.")
    assert "prompt_leak" in reasons("가을밤을 주제로 짧은 시를 지어 주세요.", '"N. Instruction:"', "가을밤은 고요합니다.", "ko")
    # Sharing a few words with the prompt is not quoting it.
    assert reasons("Write each instruction of this recipe as a numbered step.", "", "1. Boil water. 2. Add pasta.") == []


# -- content the model cannot see ------------------------------------------------------------------------


@pytest.mark.parametrize("lang,instruction,task_input", [
    ("en", "Summarize the article at this link.", "https://www.bbc.com/news/world-123"),
    ("en", "Describe what you see.", "<image>"),
    ("en", "Caption the photo.", "See the attached photo of my garden."),
    ("ko", "다음 링크의 기사를 요약해 주세요.", "https://news.example.co.kr/article/123"),
    ("ko", "첨부된 사진 속 음식의 이름을 알려 주세요.", ""),
    ("ko", "글의 내용을 바탕으로 질문에 답하세요.", "아래 이미지를 참고하세요."),
])
def test_unseen_content(lang, instruction, task_input):
    assert "unseen_content" in reasons(instruction, task_input, "괜찮은 답입니다." if lang == "ko" else "A fine answer.", lang)


@pytest.mark.parametrize("lang,instruction,task_input", [
    ("en", "Does this web address look like a phishing attempt? Answer suspicious or safe.", "http://paypa1-secure-login.com/verify"),
    ("en", "Extract the domain name from the URL.", "https://docs.python.org/3/library/re.html"),
    ("ko", "받은 문자가 스팸인지 판별해 주세요.", "[국외발신] 택배가 보관 중입니다. http://kr-parcel.to/a1 에서 주소를 고치세요."),
])
def test_urls_as_text_are_fine(lang, instruction, task_input):
    assert "unseen_content" not in reasons(instruction, task_input, "안전하지 않습니다." if lang == "ko" else "Suspicious.", lang)


# -- characters ------------------------------------------------------------------------------------------


def test_control_characters_and_broken_unicode():
    assert reasons(EN_TASK, "", "A fine\x07 answer.") == ["control_characters"]
    assert reasons(EN_TASK, "", "Caf\ufffd au lait is a drink.") == ["broken_unicode"]
    assert reasons(EN_TASK, "", "It\u00e2\u20ac\u2122s a nice day.") == ["broken_unicode"]  # UTF-8 read as cp1252
    assert reasons(KO_TASK, "", "\u00ec\u2022\u02c6\u00eb\u2026\u2022\u00ed\u2022\u02dc\u00ec\u201e\u00b8\u00ec\u0161\u201d", "ko")[:1] == ["broken_unicode"]
    assert reasons(EN_TASK, "", "Tabs\tand\nnewlines are text, and so is café — naïve, São Paulo.") == []


def test_hangul_outside_ks_x_1001_is_syllable_noise():
    # From a real SmolLM2-135M completion (tests/data/llama_completions.jsonl, ko-completions-05).
    assert "garbled_hangul" in reasons("아이딩연그럭의 툔똯를 계산하세요.", "", "답은 12입니다.", "ko")
    assert "garbled_hangul" not in reasons("한글 음절 범위를 정규식으로 쓰세요.", "", "[가-힣]+ 처럼 씁니다.", "ko")


# -- Korean answers must be Korean ----------------------------------------------------------------------


def test_a_korean_task_with_an_english_answer():
    assert reasons("김치찌개를 맛있게 끓이는 방법을 알려 주세요.", "", "First, stir-fry the aged kimchi with pork belly.", "ko") == [
        "output_not_korean"]
    assert reasons("어려운 단어를 쉽게 바꿔 주세요.", "1", "This is one more than you are, which is a contradiction.", "ko") == [
        "output_not_korean"]


@pytest.mark.parametrize("instruction,task_input,output", [
    ("다음 문장을 영어로 번역하세요.", "좋은 아침입니다.", "Good morning, everyone in the office."),
    ("두 수를 더하는 Python 함수를 작성해 주세요.", "", "def add(a, b):\n    return a + b"),
    ("다음 문장의 문법 오류를 고쳐 주세요.", "She go to school every day by bus.", "She goes to school every day by bus."),
    ("REST API가 무엇인지 설명해 주세요.", "", "REST API는 HTTP 메서드로 resource를 다루는 방식입니다. GET, POST, PUT, DELETE를 씁니다."),
    ("정답만 쓰세요: 물의 화학식은?", "", "H2O"),
])
def test_korean_tasks_whose_answer_is_rightly_not_korean(instruction, task_input, output):
    assert "output_not_korean" not in reasons(instruction, task_input, output, "ko")


def test_korean_word_share_counts_words_not_letters():
    assert korean_word_share("Python에서 list를 정렬하려면 sorted 함수를 씁니다.") == pytest.approx(5 / 6)
    assert korean_word_share("OK") is None


def test_an_english_task_answered_in_another_script():
    assert reasons(EN_TASK, "", "이 문단은 기후 변화가 농업에 미치는 영향을 설명합니다.") == ["output_not_english"]
    assert reasons("Translate 'thank you' into Korean.", "", "감사합니다 정말로 고맙습니다 여러분") == []


def test_unfinished_fields():
    assert reasons("List three tips for sleeping well.", "", "Here are three tips:") == ["unfinished_output"]
    assert reasons(KO_TASK, "다음 글을 요약하세요:", "요약입니다.", "ko") == ["unfinished_input"]


# -- the rule table --------------------------------------------------------------------------------------


def test_every_rule_has_a_rationale_and_both_languages():
    for rule in RULES:
        assert rule.rationale and len(rule.rationale) > 20, rule.reason
        assert {"en", "ko"} <= set(rule.langs), rule.reason


def test_fixes_apply_before_drops_and_stop_at_the_first_drop():
    ctx = QualityContext("en")
    result = judge(Record(EN_TASK, "No input", "Fine.\n5. Instruction: x\n5. Input:\n<noinput>"), ctx)
    assert [f.reason for f in result.fixes] == ["noinput_marker", "output_structure_leak"]
    assert result.record.input == "" and result.record.output == "Fine." and result.drops == []
    many = judge(Record(EN_TASK, "<input>", "As an AI language model, I like dogs. I like dogs. I like dogs. I like dogs."), ctx)
    assert [f.reason for f in many.drops] == ["placeholder_input"]
    every = judge(Record(EN_TASK, "<input>", "As an AI language model, I like dogs. I like dogs. I like dogs. I like dogs."), ctx,
                  every_reason=True)
    assert [f.reason for f in every.drops] == ["placeholder_input", "repetition", "refusal"]


def test_no_seed_is_flagged():
    """Our 376 seed tasks are what we ask models to imitate: no rule may flag one."""
    from alpaca_gen.check import check_file

    report = check_file(str(REPO / "seed_tasks.jsonl"))
    assert report.records == 376 and report.flagged == 0, json.dumps(report.as_dict(), ensure_ascii=False)[:2000]


def test_the_readme_explains_every_reason():
    """Each drop or fix reason a run can print has a line in the README's tables."""
    from alpaca_gen.filters import REASONS as FIELD_REASONS
    from alpaca_gen.quality import REASONS as QUALITY_REASONS

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    parse_and_run = ("garbled", "empty_completion", "no_tasks_in_completion", "truncated", "malformed",
                     "empty_instruction", "near_duplicate", "over_target")
    missing = [r for r in (*FIELD_REASONS, *QUALITY_REASONS, *parse_and_run) if f"`{r}`" not in readme]
    assert not missing, missing
