"""prompts: Stanford's numbered layout, chat requests, the shipped prompt files."""
from __future__ import annotations

from pathlib import Path

import pytest

from alpaca_gen.errors import NoInputError, UsageError
from alpaca_gen.parse import parse_completion
from alpaca_gen.prompts import (
    load_template,
    render_chat_prompt,
    render_completion_prompt,
    render_examples,
    stop_sequences,
)
from alpaca_gen.seeds import SeedTask
from alpaca_gen.text import hangul_share

ROOT = Path(__file__).resolve().parents[1]


def task(instruction: str, task_input: str, output: str, lang: str = "en") -> SeedTask:
    return SeedTask(id="t", name="t", instruction=instruction, input=task_input, output=output,
                    is_classification=False, lang=lang, line=1)


EN_TASKS = [
    task("Give three tips for keeping houseplants alive in winter.", "",
         "1. Water less often.\n2. Move them closer to a window.\n3. Keep them away from radiators."),
    task("Classify the sentiment of the review as positive or negative.",
         "The pasta was cold and the waiter ignored us for twenty minutes.", "Negative"),
    task("Rewrite the sentence  in the\npassive voice:", "The committee approved the new budget.",
         "The new budget was approved by the committee."),
]

KO_TASKS = [
    task("다음 문장을 자연스러운 영어로 번역하세요.", "내일 아침 일찍 회의가 있어서 오늘은 일찍 자려고 해요.",
         "I have an early meeting tomorrow morning, so I'm going to bed early tonight.", "ko"),
    task("비 오는 날 집에서 할 만한 일을 세 가지 추천해 주세요.", "",
         "1. 읽다 만 책 마저 읽기\n2. 부침개 부쳐 먹기\n3. 밀린 사진 정리하기", "ko"),
]


@pytest.fixture(scope="module")
def en_template():
    return load_template("en")


@pytest.fixture(scope="module")
def ko_template():
    return load_template("ko")


def test_completion_prompt_ends_at_the_next_instruction(en_template):
    prompt = render_completion_prompt(en_template, EN_TASKS)
    assert prompt.endswith("###\n4. Instruction:")
    assert prompt.startswith(en_template.header + "\n###\n1. Instruction: ")
    assert prompt.count("###\n") == 4


def test_examples_are_rendered_in_stanford_layout():
    text = render_examples(EN_TASKS)
    assert text == (
        "###\n"
        "1. Instruction: Give three tips for keeping houseplants alive in winter.\n"
        "1. Input:\n<noinput>\n"
        "1. Output:\n1. Water less often.\n2. Move them closer to a window.\n3. Keep them away from radiators.\n"
        "###\n"
        "2. Instruction: Classify the sentiment of the review as positive or negative.\n"
        "2. Input:\nThe pasta was cold and the waiter ignored us for twenty minutes.\n"
        "2. Output:\nNegative\n"
        "###\n"
        # Whitespace collapsed and a trailing colon removed, as Stanford's encode_prompt does.
        "3. Instruction: Rewrite the sentence in the passive voice\n"
        "3. Input:\nThe committee approved the new budget.\n"
        "3. Output:\nThe new budget was approved by the committee.\n"
    )


def test_whitespace_only_input_is_rendered_as_noinput():
    text = render_examples([task("Name the largest ocean on Earth.", "  \n", "The Pacific Ocean.")])
    assert "1. Input:\n<noinput>\n" in text


def test_rendered_examples_parse_back(en_template):
    # The prompt's own examples, fed to the parser as a chat reply, come back unchanged.
    result = parse_completion(render_examples(EN_TASKS), "stop", next_number=None)
    assert [(t.input, t.output) for t in result.tasks] == [(t.input, t.output) for t in EN_TASKS]


def test_korean_completion_prompt(ko_template):
    prompt = render_completion_prompt(ko_template, KO_TASKS)
    assert prompt.startswith(ko_template.header + "\n###\n1. Instruction: 다음 문장을")
    assert "2. Input:\n<noinput>\n2. Output:\n1. 읽다 만 책 마저 읽기" in prompt
    assert prompt.endswith("###\n3. Instruction:")


def test_chat_prompt_ends_with_the_request_in_english(en_template):
    prompt = render_chat_prompt(en_template, EN_TASKS)
    assert render_examples(EN_TASKS) in prompt
    last = prompt.rstrip().splitlines()[-1]
    assert last.startswith("Continue the list above with tasks 4 to 20")
    assert last.endswith("Reply with the list only.")
    assert "###\n\nContinue" in prompt


def test_chat_prompt_ends_with_the_request_in_korean(ko_template):
    prompt = render_chat_prompt(ko_template, KO_TASKS)
    last = prompt.rstrip().splitlines()[-1]
    assert last.startswith("위 목록에 이어서 3번부터 20번까지의 과제를")
    assert hangul_share(last) > 0.5
    assert "Continue" not in prompt


def test_cross_language_note(en_template, ko_template):
    prompt = render_completion_prompt(ko_template, EN_TASKS, cross_lang=True)
    assert "새 과제는 지시문, 입력, 출력 모두 한국어로 써 주세요." in prompt
    assert prompt.index("한국어로 써 주세요") < prompt.index("1. Instruction:")
    en_prompt = render_chat_prompt(en_template, KO_TASKS, cross_lang=True)
    assert "write every new task (instruction, input and output) in English" in en_prompt
    assert "another language" not in render_chat_prompt(en_template, EN_TASKS)


def test_stop_sequences(en_template):
    assert en_template.num_tasks == 20
    assert stop_sequences(en_template) == ["\n20. Instruction:"]
    # "$20." inside an output does not stop generation.
    assert not any(s in "4. Output:\nThe ticket costs $20.\n" for s in stop_sequences(en_template))


def test_load_template_custom_path(tmp_path):
    path = tmp_path / "my_prompt.txt"
    path.write_text("Come up with ten varied tasks about cooking.\n\nList of 10 tasks:\n\n", encoding="utf-8")
    template = load_template("en", path)
    assert template.header == "Come up with ten varied tasks about cooking.\n\nList of 10 tasks:"
    assert template.num_tasks == 10
    assert template.source == str(path)
    assert stop_sequences(template) == ["\n10. Instruction:"]
    assert render_chat_prompt(template, EN_TASKS).rstrip().splitlines()[-1].startswith(
        "Continue the list above with tasks 4 to 10")


def test_load_template_stanford_style_last_line(tmp_path):
    path = tmp_path / "prompt.txt"
    path.write_text("Here are the requirements:\n1. Try not to repeat the verb.\n\nList of 20 tasks:\n")
    assert load_template("en", path).num_tasks == 20


def test_load_template_without_a_count_asks_for_20(tmp_path):
    path = tmp_path / "prompt.txt"
    path.write_text("Write more tasks like these.\n")
    assert load_template("en", path).num_tasks == 20


def test_load_template_errors(tmp_path):
    with pytest.raises(NoInputError):
        load_template("en", tmp_path / "missing.txt")
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n\n")
    with pytest.raises(UsageError):
        load_template("en", empty)


def test_korean_prompt_file_is_korean_and_asks_for_20(ko_template):
    assert Path(ko_template.source).resolve() == ROOT / "prompts" / "ko.txt"
    assert hangul_share(ko_template.header) > 0.9
    assert ko_template.num_tasks == 20
    assert ko_template.header.strip().splitlines()[-1] == "과제 20개:"
    assert "<noinput>" in ko_template.header


def test_english_prompt_file_is_not_stanfords(en_template):
    assert Path(en_template.source).resolve() == ROOT / "prompts" / "en.txt"
    header = en_template.header
    assert "instrucitons" not in header
    assert "You are asked to come up with a set of 20 diverse task instructions" not in header
    assert "GPT model" not in header
    assert en_template.num_tasks == 20
    assert "<noinput>" in header
    for path in (ROOT / "prompts").glob("*.txt"):
        assert "You are asked to come up with" not in path.read_text(encoding="utf-8")
