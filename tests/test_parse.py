"""parse.parse_completion: numbered ``N. Instruction / N. Input / N. Output`` blocks."""
from __future__ import annotations

import re

import pytest

try:
    from tests import alpaca_reference
except ImportError:  # tests/ is not a package under some import modes
    import alpaca_reference
from hypothesis import given, settings
from hypothesis import strategies as st

from alpaca_gen.parse import parse_completion
from alpaca_gen.quality import is_no_input


# --- Stanford Alpaca's split logic (post_process_gpt3_response), as the reference ----------
def stanford_split(response_text: str, finish_reason: str, num_prompt_instructions: int) -> list[tuple[str, str, str]]:
    """Stanford's parser without its filters (the reference in tests/alpaca_reference.py)."""
    return alpaca_reference.split_tasks(response_text, finish_reason, num_prompt_instructions)


def ParsedTask(instruction: str, task_input: str, output: str, number: int) -> tuple:
    """What a parsed task carries: its three fields and its number in the completion."""
    return (instruction, task_input, output, number)


def numbered(result) -> list[tuple]:
    return [ParsedTask(t.instruction, t.input, t.output, n) for t, n in zip(result.tasks, result.numbers)]


def triples(result) -> list[tuple[str, str, str]]:
    return [(t.instruction, t.input, t.output) for t in result.tasks]


# A completion as gpt-3.5-turbo-instruct returns it after a prompt ending in "###\n4. Instruction:".
EN_COMPLETION = """ Give three tips for keeping a sourdough starter healthy.
4. Input:
<noinput>
4. Output:
1. Feed it at the same time every day.
2. Keep it somewhere warm but out of direct sunlight.
3. Discard about half of it before each feeding.
###
5. Instruction: Classify the sentiment of the following product review as positive, negative or neutral.
5. Input:
The battery dies after two hours and customer support never answered my emails.
5. Output:
Negative
###
6. Instruction: Rewrite the sentence so that it uses the active voice.
6. Input:
The quarterly report was finished by the intern on Friday.
6. Output:
The intern finished the quarterly report on Friday.
###
7. Instruction: What is the difference between weather and climate?
7. Input:
<noinput>
7. Output:
Weather describes conditions over hours or days, such as today's rain. Climate is the average of those conditions in a region over decades.
###"""


def test_english_completion_continuing_from_task_4():
    result = parse_completion(EN_COMPLETION, "stop", next_number=4)
    assert result.numbers == [4, 5, 6, 7]
    assert numbered(result)[0] == ParsedTask(
        "Give three tips for keeping a sourdough starter healthy.",
        "",
        "1. Feed it at the same time every day.\n"
        "2. Keep it somewhere warm but out of direct sunlight.\n"
        "3. Discard about half of it before each feeding.",
        4,
    )
    assert result.tasks[1].instruction == (
        "Classify the sentiment of the following product review as positive, negative or neutral."
    )
    assert result.tasks[1].input == "The battery dies after two hours and customer support never answered my emails."
    assert result.tasks[1].output == "Negative"
    assert result.tasks[2].output == "The intern finished the quarterly report on Friday."
    # The trailing "###" separator is not part of the last output.
    assert result.tasks[3].output.endswith("over decades.")
    assert result.tasks[3].input == ""
    assert sum(result.dropped.values()) == 0


def test_same_tasks_as_stanford_for_a_well_formed_completion():
    ours = triples(parse_completion(EN_COMPLETION, "stop", next_number=4))
    assert ours == stanford_split(EN_COMPLETION, "stop", 3)
    assert len(ours) == 4


def test_same_tasks_as_stanford_when_truncated_inside_the_last_output():
    text = EN_COMPLETION[: EN_COMPLETION.index("such as today's rain")]
    ours = parse_completion(text, "length", next_number=4)
    assert triples(ours) == stanford_split(text, "length", 3)
    assert ours.numbers == [4, 5, 6]
    assert ours.dropped == {"truncated": 1}


_POOL = [
    ("Suggest a name for a bakery that only sells gluten-free bread.", "<noinput>", "Crumb of Comfort"),
    ("Translate the sentence into Spanish.", "Where is the nearest train station?", "¿Dónde está la estación de tren más cercana?"),
    ("Convert the temperature from Fahrenheit to Celsius.", "98.6°F", "37°C"),
    ("Is the following statement a fact or an opinion?", "Paris is the capital of France.", "Fact"),
    ("Write a short thank-you note to a neighbor who watered your plants.", "<noinput>",
     "Dear Mrs. Lee,\nThank you so much for looking after my plants while I was away. They have never looked better!\nBest, Sam"),
    ("Find the largest number in the list.", "[4, 17, 9, 23, 8]", "23"),
    ("Explain what a haiku is in one sentence.", "<noinput>",
     "A haiku is a three-line Japanese poem with five, seven and five syllables."),
    ("Correct the grammar in the following sentence.", "Me and him goes to the gym every mornings.",
     "He and I go to the gym every morning."),
]


def _render(tasks: list[tuple[str, str, str]], start: int) -> str:
    """The completion text after a prompt ending in "###\\n{start}. Instruction:"."""
    parts = []
    for offset, (instruction, task_input, output) in enumerate(tasks):
        n = start + offset
        head = " " if offset == 0 else f"{n}. Instruction: "
        parts.append(f"{head}{instruction}\n{n}. Input:\n{task_input}\n{n}. Output:\n{output}")
    return "\n###\n".join(parts) + "\n###"


@settings(max_examples=60, deadline=None)
@given(
    tasks=st.lists(st.sampled_from(_POOL), min_size=1, max_size=6),
    num_prompt=st.integers(1, 8),
    truncate=st.booleans(),
    cut=st.floats(0.05, 0.95),
)
def test_well_formed_completions_match_stanford(tasks, num_prompt, truncate, cut):
    text = _render(tasks, num_prompt + 1)
    finish_reason = "stop"
    if truncate:
        # Cut inside the last task's output (the model ran out of tokens mid-answer).
        last_output = tasks[-1][2]
        start = text.rindex(last_output)
        text = text[: start + max(1, int(len(last_output) * cut))]
        finish_reason = "length"
    ours = parse_completion(text, finish_reason, next_number=num_prompt + 1)
    assert triples(ours) == stanford_split(text, finish_reason, num_prompt)
    expected = len(tasks) - (1 if truncate else 0)
    assert len(ours.tasks) == expected


@pytest.mark.parametrize("marker", ["<noinput>", "<no input>", "<No Input>", "<no_input>"])
def test_the_noinput_marker_becomes_empty(marker):
    text = f" Name the largest planet in the solar system.\n4. Input:\n{marker}\n4. Output:\nJupiter"
    result = parse_completion(text, "stop", next_number=4)
    assert numbered(result) == [ParsedTask("Name the largest planet in the solar system.", "", "Jupiter", 4)]


@pytest.mark.parametrize("marker", ["No input", "No input.", "no_input", "N/A", "없음", "입력 없음"])
def test_other_spellings_are_left_to_the_quality_rules(marker):
    # The parser keeps them so that the quality stage fixes them and counts it (noinput_marker).
    text = f" Name the largest planet in the solar system.\n4. Input:\n{marker}\n4. Output:\nJupiter"
    result = parse_completion(text, "stop", next_number=4)
    assert result.tasks[0].input == marker
    assert is_no_input(marker)


@pytest.mark.parametrize("real_input", ["No input was given by the user, so the form was rejected.", "Nothing", "Noon"])
def test_inputs_that_merely_start_like_no_input_are_kept(real_input):
    assert not is_no_input(real_input)


def test_length_drops_only_the_last_task():
    text = EN_COMPLETION + "\n8. Instruction: Summarize the following email in one sentence.\n8. Input:\nHi team, the"
    result = parse_completion(text, "length", next_number=4)
    assert result.numbers == [4, 5, 6, 7]
    assert result.dropped == {"truncated": 1}
    # The same text with finish_reason "stop" is not truncated: task 8 is then just malformed.
    stopped = parse_completion(text, "stop", next_number=4)
    assert stopped.dropped == {"malformed": 1}
    assert "truncated" not in stopped.dropped


def test_skipped_numbers_keep_every_later_task():
    text = """ Name the capital city of Australia.
4. Input:
<noinput>
4. Output:
Canberra
###
6. Instruction: Give an antonym for the word.
6. Input:
ancient
6. Output:
modern
###
7. Instruction: Sort the numbers in ascending order.
7. Input:
9, 2, 7
7. Output:
2, 7, 9
###"""
    result = parse_completion(text, "stop", next_number=4)
    assert result.numbers == [4, 6, 7]
    assert [t.output for t in result.tasks] == ["Canberra", "modern", "2, 7, 9"]
    # Stanford's parser expects 5 after 4 and loses both later tasks.
    assert len(stanford_split(text, "stop", 3)) == 1


def test_repeated_number_keeps_every_later_task():
    text = """ Name the capital city of Australia.
4. Input:
<noinput>
4. Output:
Canberra
###
5. Instruction: Give an antonym for the word.
5. Input:
ancient
5. Output:
modern
###
5. Instruction: Sort the numbers in ascending order.
5. Input:
9, 2, 7
5. Output:
2, 7, 9
###
6. Instruction: Tell whether the number is prime.
6. Input:
91
6. Output:
No, 91 = 7 × 13.
###"""
    result = parse_completion(text, "stop", next_number=4)
    assert result.numbers == [4, 5, 5, 6]
    assert result.tasks[2].instruction == "Sort the numbers in ascending order."
    assert result.tasks[3].output == "No, 91 = 7 × 13."
    assert len(stanford_split(text, "stop", 3)) == 2


def test_markdown_header_inside_an_output_is_kept():
    text = """ Turn the recipe notes into a markdown shopping list.
4. Input:
Pancakes need 2 cups of flour, 2 eggs and a cup of milk; buy maple syrup too.
4. Output:
### Shopping list
- Flour (2 cups)
- Eggs (2)
- Milk (1 cup)

### Extras
- Maple syrup
###
5. Instruction: Give a synonym for "happy".
5. Input:
<noinput>
5. Output:
Cheerful
###"""
    result = parse_completion(text, "stop", next_number=4)
    assert len(result.tasks) == 2
    assert result.tasks[0].output == (
        "### Shopping list\n- Flour (2 cups)\n- Eggs (2)\n- Milk (1 cup)\n\n### Extras\n- Maple syrup"
    )
    assert result.tasks[1].output == "Cheerful"
    # Stanford's split on "###" empties this output and loses every later task.
    stanford = stanford_split(text, "stop", 3)
    assert [(s[0], s[2]) for s in stanford] == [("Turn the recipe notes into a markdown shopping list.", "")]


def test_double_hash_separator_between_tasks():
    text = """ Write a haiku about a rainy Monday morning.
4. Input:
<noinput>
4. Output:
Gray drizzle at dawn
umbrellas bloom on the street
coffee steams inside
##
5. Instruction: Explain the difference between weather and climate in two sentences.
5. Input:
<noinput>
5. Output:
Weather is what the sky does today. Climate is what it usually does over many years.
##"""
    result = parse_completion(text, "stop", next_number=4)
    assert result.numbers == [4, 5]
    assert result.tasks[0].output == "Gray drizzle at dawn\numbrellas bloom on the street\ncoffee steams inside"
    assert result.tasks[1].output.endswith("over many years.")


def test_chat_reply_with_preamble_and_own_labels():
    text = """Sure! Here are more tasks:

4. Instruction: Suggest a name for a cat that loves to sleep in sunny spots.
4. Input:
<noinput>
4. Output:
Sunny

###
5. Instruction: Rewrite the sentence in the passive voice.
5. Input:
The chef prepared a delicious meal.
5. Output:
A delicious meal was prepared by the chef.
"""
    result = parse_completion(text, "stop", next_number=None)
    assert numbered(result) == [
        ParsedTask("Suggest a name for a cat that loves to sleep in sunny spots.", "", "Sunny", 4),
        ParsedTask("Rewrite the sentence in the passive voice.", "The chef prepared a delicious meal.",
                   "A delicious meal was prepared by the chef.", 5),
    ]
    assert sum(result.dropped.values()) == 0


def test_reply_without_any_task_is_counted():
    result = parse_completion("I'm sorry, but I can't help with that request.", "stop", next_number=None)
    assert numbered(result) == []
    # No task block at all: the completions stage drops it (no_tasks_in_completion); the
    # parse stage, which counts task blocks, saw none.
    assert result.blocks == 0 and result.dropped == {}


def test_bold_markdown_labels():
    text = """Here you go:

**5. Instruction:** Suggest a name for a cat that loves to sleep in sunny spots.
**5. Input:** <noinput>
**5. Output:** Sunny

**6. Instruction:** Rewrite the sentence in the passive voice.
**6. Input:** The chef prepared a delicious meal.
**6. Output:** A delicious meal was prepared by the chef.
"""
    result = parse_completion(text, "stop", next_number=None)
    assert numbered(result) == [
        ParsedTask("Suggest a name for a cat that loves to sleep in sunny spots.", "", "Sunny", 5),
        ParsedTask("Rewrite the sentence in the passive voice.", "The chef prepared a delicious meal.",
                   "A delicious meal was prepared by the chef.", 6),
    ]


def test_task_without_input_label_is_malformed():
    text = """ List three ways to reduce food waste at home.
4. Output:
Plan your meals, store leftovers in clear containers, and freeze bread before it goes stale.
###
5. Instruction: Add the two numbers.
5. Input:
17 and 25
5. Output:
42"""
    result = parse_completion(text, "stop", next_number=4)
    assert result.numbers == [5]
    assert result.tasks[0].output == "42"
    assert result.dropped == {"malformed": 1}


def test_empty_output_of_last_task_is_counted():
    text = """ Add the two numbers.
4. Input:
17 and 25
4. Output:
42
###
5. Instruction: Translate the greeting into French.
5. Input:
Good morning
5. Output:
"""
    result = parse_completion(text, "stop", next_number=4)
    assert result.numbers == [4]
    assert result.dropped == {"empty_output": 1}


def test_empty_output_before_separator_is_counted():
    text = """ Translate the greeting into French.
4. Input:
Good morning
4. Output:
###
5. Instruction: Add the two numbers.
5. Input:
17 and 25
5. Output:
42
###"""
    result = parse_completion(text, "stop", next_number=4)
    assert [t.output for t in result.tasks] == ["42"]
    assert result.dropped == {"empty_output": 1}


def test_empty_instruction_is_counted():
    text = """
4. Input:
17 and 25
4. Output:
42
###
5. Instruction: Translate the greeting into French.
5. Input:
Good morning
5. Output:
Bonjour"""
    result = parse_completion(text, "stop", next_number=4)
    assert [t.output for t in result.tasks] == ["Bonjour"]
    assert result.dropped == {"empty_instruction": 1}


def test_korean_completion():
    text = """ 다음 문장에서 맞춤법이 틀린 부분을 고쳐 주세요.
4. Input:
오늘은 왠지 기분이 좋와서 오랜만에 친구에게 연락을 했다.
4. Output:
오늘은 왠지 기분이 좋아서 오랜만에 친구에게 연락을 했다.
###
5. Instruction: 비 오는 날 집에서 할 만한 일을 세 가지 추천해 주세요.
5. Input:
<noinput>
5. Output:
1. 따뜻한 차를 마시며 읽다 만 책을 마저 읽기
2. 냉장고 속 재료로 부침개 부쳐 먹기
3. 밀린 사진 정리하기
###
6. Instruction: 다음 문장의 감정을 긍정, 부정, 중립 중 하나로 분류하세요.
6. Input:
택배가 예정보다 하루 일찍 도착해서 정말 기뻤어요.
6. Output:
긍정
###"""
    result = parse_completion(text, "stop", next_number=4)
    assert numbered(result) == [
        ParsedTask("다음 문장에서 맞춤법이 틀린 부분을 고쳐 주세요.",
                   "오늘은 왠지 기분이 좋와서 오랜만에 친구에게 연락을 했다.",
                   "오늘은 왠지 기분이 좋아서 오랜만에 친구에게 연락을 했다.", 4),
        ParsedTask("비 오는 날 집에서 할 만한 일을 세 가지 추천해 주세요.", "",
                   "1. 따뜻한 차를 마시며 읽다 만 책을 마저 읽기\n2. 냉장고 속 재료로 부침개 부쳐 먹기\n3. 밀린 사진 정리하기", 5),
        ParsedTask("다음 문장의 감정을 긍정, 부정, 중립 중 하나로 분류하세요.",
                   "택배가 예정보다 하루 일찍 도착해서 정말 기뻤어요.", "긍정", 6),
    ]
    assert triples(result) == stanford_split(text, "stop", 3)


def test_korean_labels_in_a_chat_reply():
    text = """네, 이어서 작성하겠습니다.

4. 지시문: 주어진 단어의 반의어를 알려 주세요.
4. 입력: 뜨겁다
4. 출력: 차갑다

5. 지시문: 여름 휴가지로 바다와 산 중 어디가 좋은지 이유와 함께 말해 주세요.
5. 입력: 입력 없음
5. 출력: 더위를 피하면서 쉬고 싶다면 계곡이 있는 산을 추천합니다. 사람이 비교적 적고 그늘이 많아 시원하게 지낼 수 있습니다.
"""
    result = parse_completion(text, "stop", next_number=None)
    assert [(n, t.instruction, t.input) for t, n in zip(result.tasks, result.numbers)] == [
        (4, "주어진 단어의 반의어를 알려 주세요.", "뜨겁다"),
        (5, "여름 휴가지로 바다와 산 중 어디가 좋은지 이유와 함께 말해 주세요.", "입력 없음"),
    ]
    # "입력 없음" is the quality stage's to fix (and count) as the empty input.
    assert is_no_input(result.tasks[1].input)
    assert result.tasks[0].output == "차갑다"


def test_multiline_instruction_is_joined_into_one_line():
    text = " Read the paragraph and list\n   every city it mentions.\n4. Input:\nWe flew from Seoul to Busan.\n4. Output:\nSeoul, Busan"
    result = parse_completion(text, "stop", next_number=4)
    assert result.tasks[0].instruction == "Read the paragraph and list every city it mentions."
    assert result.tasks[0].input == "We flew from Seoul to Busan."


def test_input_holding_example_pairs_is_not_cut():
    text = """ Guess the rule that maps each input number to its output.
4. Input:
Input: 2
Output: 4
Input: 5
Output: 25
4. Output:
Each output is the square of its input.
###"""
    result = parse_completion(text, "stop", next_number=4)
    assert triples(result) == stanford_split(text, "stop", 3)
    assert result.tasks[0].input == "Input: 2\nOutput: 4\nInput: 5\nOutput: 25"
    assert result.tasks[0].output == "Each output is the square of its input."


def test_chemical_symbol_na_is_a_real_input():
    text = " Name the chemical element that has the given symbol.\n4. Input:\nNa\n4. Output:\nSodium"
    result = parse_completion(text, "stop", next_number=4)
    assert result.tasks[0].input == "Na"


@pytest.mark.parametrize("tail", ["\n###", "\n###\n", "\n###\n6", "\n###\n6. Instru"])
def test_cut_after_a_separator_keeps_the_complete_task(tail):
    text = """ Name the capital city of Peru.
4. Input:
<noinput>
4. Output:
Lima
###
5. Instruction: Give an antonym for the word.
5. Input:
ancient
5. Output:
modern""" + tail
    result = parse_completion(text, "length", next_number=4)
    assert triples(result) == stanford_split(text, "length", 3)
    assert result.numbers == [4, 5]
