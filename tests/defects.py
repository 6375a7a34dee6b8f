"""One task per defect class, in English and in Korean, as a model might write it.

Each entry is (reason the quality gate gives, English task, Korean task); a task is
(instruction, input, output). The instructions pass the field rules, so the defect
itself is what drops (or fixes) the record. Used by the fake-server runs that must
leave no defective record in regen.json, and by the funnel property test.
"""
from __future__ import annotations

DEFECTS: list[tuple[str, tuple[str, str, str], tuple[str, str, str]]] = [
    # Leaks as the parser passes them on: an "N. Instruction:" line starts a new task there,
    # so what reaches the rules are the other labels.
    ("output_structure_leak",  # nothing before the leak: dropped
     ("Describe the water cycle for a ten-year-old student.", "", "5. Input:\n<noinput>\n5. Output:\nRain falls."),
     ("어린이에게 물의 순환을 쉽게 설명해 주세요.", "", "5. 입력:\n<noinput>\n5. 출력:\n비가 내립니다.")),
    ("input_structure_leak",
     ("Rewrite the following note so that it sounds friendlier.", "See you at noon.\n6. Output: <noinput>",
      "See you at noon, can't wait!"),
     ("다음 메모를 더 다정한 말투로 바꿔 주세요.", "정오에 봐요.\n6. 출력: <noinput>", "정오에 만나요, 기대돼요!")),
    ("noinput_with_text",
     ("Suggest a title for the short story below.", "<noinput> A fox finds a lost key in the snow.", "The Winter Key"),
     ("아래 짧은 이야기에 어울리는 제목을 지어 주세요.", "<noinput> 여우가 눈 속에서 잃어버린 열쇠를 찾는다.", "겨울 열쇠")),
    ("placeholder_output",
     ("Explain why the sky looks blue during the day.", "", "<nooutput>"),
     ("낮에 하늘이 파랗게 보이는 까닭을 설명해 주세요.", "", "<출력 없음>")),
    ("placeholder_input",
     ("Summarize the paragraph below in two sentences.", "[Insert paragraph here]", "It says two things."),
     ("아래 글을 두 문장으로 요약해 주세요.", "[본문]", "두 가지를 말합니다.")),
    ("output_repeats_prompt",
     ("List three benefits of drinking enough water every day.", "",
      "List three benefits of drinking enough water every day."),
     ("매일 물을 충분히 마시면 좋은 점을 세 가지 알려 주세요.", "", "매일 물을 충분히 마시면 좋은 점을 세 가지 알려 주세요.")),
    ("repetition",
     ("Give advice to someone starting their first job.", "",
      "Be on time every day. Be on time every day. Be on time every day. Be on time every day."),
     ("첫 직장에 들어가는 사람에게 조언해 주세요.", "", "매일 제시간에 출근하세요. 매일 제시간에 출근하세요. 매일 제시간에 출근하세요.")),
    ("refusal",
     ("What is your favorite season of the year and why?", "",
      "As an AI language model, I do not have personal preferences."),
     ("일 년 중 가장 좋아하는 계절과 그 까닭을 말해 주세요.", "", "저는 AI 언어 모델로서 개인적인 취향이 없습니다.")),
    ("prompt_leak",
     ("Recommend a board game for a family evening.", "",
      "Please come up with 20 new and varied tasks. Each task has an instruction, an input and an output."),
     ("가족끼리 저녁에 할 만한 보드게임을 추천해 주세요.", "", "아래 예시에 이어서 서로 겹치지 않는 과제 21개를 만들어 주세요.")),
    ("unseen_content",
     ("Summarize the article at the following link.", "https://www.example.com/news/2024/05/rivers", "Rivers are rising."),
     ("다음 링크의 기사를 요약해 주세요.", "https://news.example.co.kr/article/2024/05", "강물이 불어나고 있습니다.")),
    ("control_characters",
     ("Correct the spelling mistakes in this sentence.", "Teh cat sat on teh mat.", "The cat sat\x00 on the mat."),
     ("다음 문장의 맞춤법을 바로잡아 주세요.", "어의가 없네요.", "어이가\x00 없네요.")),
    ("garbled_hangul",
     ("Translate the greeting into Korean for a letter.", "Good morning", "좋은 아침 툔똯입니다 여러분"),
     ("아침 인사를 편지에 쓸 말투로 바꿔 주세요.", "좋은 아침", "툔똯 좋은 아침입니다.")),
    ("output_not_korean", None,
     ("김치찌개를 맛있게 끓이는 방법을 알려 주세요.", "", "First stir-fry the aged kimchi with pork belly, then add water.")),
    ("output_not_english",
     ("Explain how a rainbow forms after the rain.", "", "비가 그친 뒤 햇빛이 물방울에 굴절되면서 무지개가 생깁니다."), None),
    ("unfinished_output",
     ("Give three tips for sleeping well at night.", "", "Here are three tips:"),
     ("밤에 잠을 잘 자는 방법을 세 가지 알려 주세요.", "", "다음 세 가지를 기억하세요:")),
]

#: Fixes: the record is kept, changed. (reason, task, field, the value it must have after the fix)
FIXES: list[tuple[str, str, tuple[str, str, str], str, str]] = [
    ("noinput_marker", "en", ("Name the largest ocean on Earth.", "No input", "The Pacific Ocean."), "input", ""),
    ("noinput_marker", "ko", ("지구에서 가장 넓은 바다의 이름을 알려 주세요.", "입력 없음", "태평양입니다."), "input", ""),
    ("output_structure_leak", "en",
     ("Name the capital city of Canada.", "", "Ottawa is the capital.\n6. Input:\n<noinput>\n6. Output:\nToronto."),
     "output", "Ottawa is the capital."),
    ("output_structure_leak", "ko",
     ("캐나다의 수도가 어디인지 알려 주세요.", "", "캐나다의 수도는 오타와입니다.\n6. 입력:\n<noinput>\n6. 출력:\n토론토"),
     "output", "캐나다의 수도는 오타와입니다."),
]


def defect_tasks(lang: str) -> list[tuple[str, tuple[str, str, str]]]:
    """(reason, task) for every defect class that applies to ``lang``."""
    index = 1 if lang == "en" else 2
    return [(entry[0], entry[index]) for entry in DEFECTS if entry[index] is not None]


def render_tasks(tasks: list[tuple[str, str, str]], start: int) -> str:
    """Tasks in the prompt's numbered format, starting at task ``start``."""
    parts = []
    for offset, (instruction, task_input, output) in enumerate(tasks):
        n = start + offset
        parts.append(f"{n}. Instruction: {instruction}\n{n}. Input:\n{task_input or '<noinput>'}\n{n}. Output:\n{output}")
    return "\n###\n".join(parts)
